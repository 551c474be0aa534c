# Copyright (c) mmzedo contributors. All rights reserved.
"""Where the files that ship in ``checkpoints/`` are: the default prior and
its anchor files, named once for the tools, demos and tests."""
import os.path as osp
from typing import Optional

#: The repository root (the package is installed editable from it).
REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
#: The shipped default prior (512 wide, seated legs, trained on the open
#: CMU data in Human3.6M's joint definitions).
SHIPPED_PRIOR = osp.join(
    REPO_ROOT, 'checkpoints',
    'prior_mlp-512x2_subvp-t01-seat-h36mjoints_open-cmu.pth')
#: The shipped anchor file of S hypotheses: ``ANCHOR_FILES.format(S)``
#: (the default prior's; K-Means of its training poses).
ANCHOR_FILES = osp.join(REPO_ROOT, 'checkpoints',
                        'anchors_open-cmu-h36mjoints_S{}.npz')
#: The numbers of hypotheses S that anchor files ship for.
ANCHOR_COUNTS = (1, 10, 50)
#: Shipped priors trained with other anchors than :data:`ANCHOR_FILES`':
#: the file name of the prior -> its anchor files' name pattern. These are
#: the priors trained in the capture rigs' own joint definitions.
PRIOR_ANCHOR_FILES = {
    name: 'anchors_open-cmu_S{}.npz'
    for name in ('prior_mlp-512x2_subvp-t01_open-cmu.pth',
                 'prior_mlp-512x2_subvp-t01-seat_open-cmu.pth',
                 'prior_mlp-1024x2_subvp-t01-cos_open-cmu.pth')
}


def anchor_files_for(prior: str) -> str:
    """The anchor files (``.format(S)``) that go with a prior: its own for
    the shipped priors trained on other poses (the rigs' joint
    definitions), :data:`ANCHOR_FILES` for the others (the default prior,
    and priors trained on Human3.6M or in its joint definitions)."""
    name = PRIOR_ANCHOR_FILES.get(osp.basename(str(prior)))
    return osp.join(REPO_ROOT, 'checkpoints', name) if name else ANCHOR_FILES


def anchor_file_for(prior: str, num_hypotheses: Optional[int] = None) -> str:
    """The shipped anchor file for ``num_hypotheses`` hypotheses with a
    prior (:func:`anchor_files_for`): the one of the fewest anchors that
    holds that many (``None``: one)."""
    n = 1 if num_hypotheses is None else num_hypotheses
    if n < 1:
        raise ValueError(f'num_hypotheses={num_hypotheses}: ZeDO needs at '
                         'least one hypothesis.')
    fits = [s for s in ANCHOR_COUNTS if s >= n]
    if not fits:
        raise ValueError(
            f'num_hypotheses={num_hypotheses}: the shipped anchor files '
            f'hold at most {ANCHOR_COUNTS[-1]}; build one with that many '
            '(tools/build_anchors.py --nums ...) and pass it as anchors.')
    return anchor_files_for(prior).format(fits[0])
