# Copyright (c) mmzedo contributors. All rights reserved.
"""mmzedo: ZeDO for mmpose 1.x.

``import mmzedo`` (or ``custom_imports=dict(imports=['mmzedo'])`` in a
config) registers mmzedo's modules into mmpose's registries and lets
``torch.load`` read mmengine checkpoints under torch >= 2.6. Without mmpose
installed, the plain-torch/numpy core still imports.
"""
from .utils import allow_mmengine_checkpoints_in_torch_load, has_mmpose
from .version import __version__

allow_mmengine_checkpoints_in_torch_load()

if has_mmpose():
    from . import datasets, engine, evaluation, models  # noqa: F401

__all__ = ['__version__']
