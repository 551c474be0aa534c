# Copyright (c) mmzedo contributors. All rights reserved.
"""Where the files that ship in ``checkpoints/`` are: the default prior and
its anchor files, named once for the tools, demos and tests."""
import os.path as osp

#: The repository root (the package is installed editable from it).
REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
#: The shipped default prior (512 wide, trained on the open CMU data).
SHIPPED_PRIOR = osp.join(REPO_ROOT, 'checkpoints',
                         'prior_mlp-512x2_subvp-t01_open-cmu.pth')
#: The shipped anchor file of S hypotheses: ``ANCHOR_FILES.format(S)``.
ANCHOR_FILES = osp.join(REPO_ROOT, 'checkpoints', 'anchors_open-cmu_S{}.npz')
