# Copyright (c) mmzedo contributors. All rights reserved.
"""Safe file output for mmzedo's tools (pure Python): outputs never replace
inputs, names cannot escape their directory, every file appears whole or
not at all, and numeric options are checked before anything is written."""
import contextlib
import math
import os
import os.path as osp
import re
import tempfile
from typing import Iterable, Iterator, Optional

_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.+-]*$')


def check_file_name(name: str, what: str = 'name') -> str:
    """A file-name stem: letters, digits and ``_ . + -``, no path parts
    (``..`` or separators would write outside the output directory)."""
    if not isinstance(name, str) or not _NAME.match(name) or '..' in name:
        raise ValueError(
            f'{what} "{name}" must be a plain file-name stem (letters, '
            'digits, "_", ".", "+", "-"; no "/" or "..").')
    return name


def check_number(value, what: str, minimum: Optional[float] = None,
                 exclusive: bool = False,
                 maximum: Optional[float] = None) -> float:
    """``value`` as a finite float within the bounds, else a ValueError
    naming ``what``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f'{what} must be a number, got {value!r}.')
    ok = math.isfinite(v)
    if ok and minimum is not None:
        ok = v > minimum if exclusive else v >= minimum
    if ok and maximum is not None:
        ok = v <= maximum
    if not ok:
        bound = ('' if minimum is None else
                 f' {">" if exclusive else ">="} {minimum}')
        bound += '' if maximum is None else f' and <= {maximum}'
        raise ValueError(f'{what} must be finite{bound}, got {value!r}.')
    return v


def _same(a: str, b: str) -> bool:
    if osp.exists(a) and osp.exists(b):
        return osp.samefile(a, b)
    return osp.realpath(a) == osp.realpath(b)


def refuse_overwriting_inputs(outputs: Iterable[str],
                              inputs: Iterable[str]) -> None:
    """Raise if any output path is one of the inputs (also through links)."""
    inputs = [i for i in inputs if i]
    for out in outputs:
        for inp in inputs:
            if _same(out, inp):
                raise ValueError(f'Refusing to overwrite the input {inp} '
                                 f'with an output ({out}); choose another '
                                 'output directory or name.')


def refuse_replacing_outputs(outputs: Iterable[str], overwrite: bool,
                             how: str) -> None:
    """Raise ``FileExistsError`` naming the first of ``outputs`` that
    exists, unless ``overwrite`` (the user asked to replace it); ``how``
    says how to keep both (e.g. ``'pass another OUT'``)."""
    if overwrite:
        return
    for out in outputs:
        if osp.lexists(out):
            raise FileExistsError(
                f'{out} exists already: pass --overwrite to replace it, or '
                f'{how} to keep both.')


@contextlib.contextmanager
def atomic_path(path: str, suffix: str = '') -> Iterator[str]:
    """Yield a temporary path next to ``path``; on success it is renamed to
    ``path``, on error removed (no partial file is ever left at ``path``).
    ``suffix`` (default: ``path``'s extension) keeps an extension that a
    writer insists on (``np.savez`` appends ``.npz``). The file gets the
    mode that the user's umask gives a new file (``mkstemp`` makes it
    0600)."""
    d = osp.dirname(osp.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix='tmp-',
                               suffix=suffix or osp.splitext(path)[1])
    os.close(fd)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
