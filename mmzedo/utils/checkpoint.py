# Copyright (c) mmzedo contributors. All rights reserved.
"""Let ``torch.load(weights_only=True)`` (torch >= 2.6's default) read
mmengine checkpoints, without switching the safe loader off.

mmengine 0.10.7 checkpoints pickle, besides tensors:

- numpy arrays, scalars and dtypes (dataset meta, message-hub values);
- ``bytes`` (numpy scalar payloads);
- :class:`mmengine.logging.HistoryBuffer` objects (message-hub scalars),
  whose statistics methods are pickled as ``getattr(HistoryBuffer, 'min')``.

These are allow-listed once, when :mod:`mmzedo` is imported. ``getattr``
itself is *not* allow-listed (it would defeat ``weights_only``): the name
``builtins.getattr`` is mapped to :func:`history_buffer_getattr`, which
only resolves HistoryBuffer's statistics methods and refuses anything else.
"""
import pickle

import numpy as np

_STATISTICS = ('min', 'max', 'current', 'mean')


def numpy_safe_globals() -> list:
    """The numpy callables and types that mmengine checkpoints pickle."""
    try:
        multiarray = np._core.multiarray  # numpy >= 2
    except AttributeError:
        multiarray = np.core.multiarray
    globs = [multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype]
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:  # numpy >= 1.25 pickles dtypes by class
        globs += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    return globs


def history_buffer_getattr(obj, name: str):
    """``getattr`` restricted to ``HistoryBuffer.<statistics method>``."""
    from mmengine.logging import HistoryBuffer
    allowed = set(_STATISTICS) | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Refusing getattr({obj!r}, {name!r}) while loading a checkpoint '
        'with weights_only=True: mmzedo only allows HistoryBuffer '
        'statistics methods.')


def allow_mmengine_checkpoints_in_torch_load() -> bool:
    """Allow-list what mmengine checkpoints need for ``torch.load``.

    Returns:
        bool: False where torch is absent or has no safe-globals mechanism
        (< 2.4).
    """
    try:
        import torch
    except ImportError:  # the numpy-only converter does not need torch
        return False
    add = getattr(torch.serialization, 'add_safe_globals', None)
    if add is None:
        return False
    globs = numpy_safe_globals() + [bytes]
    try:
        from mmengine.logging import HistoryBuffer
    except ImportError:  # bare torch: published priors need numpy only
        pass
    else:
        globs += [HistoryBuffer, (history_buffer_getattr, 'builtins.getattr')]
    add(globs)
    return True
