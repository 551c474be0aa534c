# Copyright (c) mmzedo contributors. All rights reserved.
from mmzedo.utils.openmmlab import has_mmpose

if has_mmpose():
    from .transforms import *  # noqa: F401,F403
