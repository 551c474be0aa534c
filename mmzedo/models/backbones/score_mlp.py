# Copyright (c) mmzedo contributors. All rights reserved.
"""Registers the plain-torch :class:`~mmzedo.core.ScoreMLP` in mmpose's
``MODELS`` (the class itself lives in the mmpose-free core)."""
from mmpose.registry import MODELS

from mmzedo.core.score_net import ScoreMLP

MODELS.register_module(module=ScoreMLP)

__all__ = ['ScoreMLP']
