# Copyright (c) mmzedo contributors. All rights reserved.
from .pose_prior import PosePrior

__all__ = ['PosePrior']
