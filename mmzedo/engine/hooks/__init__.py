# Copyright (c) mmzedo contributors. All rights reserved.
from .zedo_refine_hook import ZeDORefineHook

__all__ = ['ZeDORefineHook']
