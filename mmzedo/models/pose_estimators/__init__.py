# Copyright (c) mmzedo contributors. All rights reserved.
from .pose_prior import PosePrior
from .zedo_lifter import ZeDOLifter

__all__ = ['PosePrior', 'ZeDOLifter']
