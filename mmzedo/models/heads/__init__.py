# Copyright (c) mmzedo contributors. All rights reserved.
from .zedo_head import ZeDOHead

__all__ = ['ZeDOHead']
