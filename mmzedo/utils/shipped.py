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
#: Shipped priors trained with other anchors than :data:`ANCHOR_FILES`':
#: the file name of the prior -> its anchor files' name pattern.
PRIOR_ANCHOR_FILES = {
    'prior_mlp-512x2_subvp-t01-seat-h36mjoints_open-cmu.pth':
    'anchors_open-cmu-h36mjoints_S{}.npz',
}


def anchor_files_for(prior: str) -> str:
    """The anchor files (``.format(S)``) that go with a prior: its own for
    the shipped priors trained on other poses (Human3.6M's joint
    definitions), :data:`ANCHOR_FILES` for the others."""
    name = PRIOR_ANCHOR_FILES.get(osp.basename(str(prior)))
    return osp.join(REPO_ROOT, 'checkpoints', name) if name else ANCHOR_FILES
