# Copyright (c) mmzedo contributors. All rights reserved.
"""The open benchmark: bundled CMU-derived mocap in mmpose's Human3.6M
format, one data root per camera rig.

Train and test come from different groups: CMU "c2s" train vs test
(the release's own split), ACRNN salsa/indian vs martial arts, iClone
subjects 1-5 vs 6-7.
"""
import json
import os.path as osp
from typing import Sequence

from .convert import convert_mocap

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))

OPEN_BENCHMARK = dict(
    inputs=('cmu_c2s.npz', 'cmu_acrnn.npz', 'cmu_iclone.npz'),
    name='cmu',
    fps=10,
    retarget=True,
    test_groups=('cmu_c2s:test', 'cmu_acrnn:martial',
                 'cmu_iclone:subject006,subject007'),
    seed=0)

OPEN_RIGS = ('h36m-like', 'phone-wide', 'telephoto')


def build_open_benchmark(out_root: str = osp.join(REPO_ROOT, 'data',
                                                  'open_h36m'),
                         rigs: Sequence[str] = OPEN_RIGS,
                         mocap_dir: str = osp.join(REPO_ROOT, 'data',
                                                   'mocap'),
                         force: bool = False,
                         **overrides) -> dict:
    """Build ``<out_root>/<rig>/`` for each rig (skipping rigs already
    built with the same settings unless ``force``).

    Returns:
        dict: rig -> summary (``meta.json``).
    """
    cfg = dict(OPEN_BENCHMARK, **overrides)
    inputs = [osp.join(mocap_dir, f) for f in cfg.pop('inputs')]
    missing = [f for f in inputs if not osp.isfile(f)]
    if missing:
        raise FileNotFoundError(f'Bundled mocap missing: {missing}')
    out = {}
    for rig in rigs:
        out_dir = osp.join(out_root, rig)
        meta = osp.join(out_dir, 'meta.json')
        if not force and osp.isfile(meta):
            with open(meta) as f:
                summary = json.load(f)
            same = all(summary.get(k) == v for k, v in cfg.items()
                       if k in ('name', 'fps', 'retarget', 'seed'))
            if same and all(
                    osp.isfile(osp.join(out_dir, v['annotation']))
                    for v in summary['files'].values()):
                out[rig] = summary
                continue
        out[rig] = convert_mocap(inputs, out_dir, rig=rig, **cfg)
    return out
