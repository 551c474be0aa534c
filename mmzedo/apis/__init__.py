# Copyright (c) mmzedo contributors. All rights reserved.
from .run_test import CollectOutputs, ModuleTimer, evenly_spaced, run_test

__all__ = ['CollectOutputs', 'ModuleTimer', 'evenly_spaced', 'run_test']
