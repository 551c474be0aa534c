# Copyright (c) mmzedo contributors. All rights reserved.
"""mmpose's ``tools/test.py`` (same arguments), with mmzedo imported."""
from mmzedo.utils import run_mmpose_tool

if __name__ == '__main__':
    run_mmpose_tool('test.py')
