# Copyright (c) mmzedo contributors. All rights reserved.
"""One helper for mmzedo's settings dicts (ZeDO loop, augmentation,
training times): defaults updated with overrides, where an unknown name is
an error rather than a silently ignored typo."""
from typing import Mapping, Optional


def merge_settings(defaults: Mapping, overrides: Optional[Mapping],
                   what: str) -> dict:
    """``defaults`` updated with ``overrides``; ``TypeError`` naming the
    unknown settings (``what``: e.g. ``'ZeDO'``) and the known ones."""
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise TypeError(f'Unknown {what} settings {sorted(unknown)}; known: '
                        f'{sorted(defaults)}.')
    return dict(defaults, **overrides)
