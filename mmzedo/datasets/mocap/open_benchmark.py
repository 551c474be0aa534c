# Copyright (c) mmzedo contributors. All rights reserved.
"""The benchmarks built from open motion capture in mmpose's Human3.6M
format, one data root per camera rig.

- The **open benchmark** (:data:`OPEN_BENCHMARK`, bundled CMU-derived
  mocap, retargeted to Human3.6M's bone lengths, in Human3.6M's joint
  definitions: the pelvis at the hips' midpoint and joint 9 the nose, as
  Human3.6M's annotation and mmpose's COCO conversion have them;
  ``joint_definitions=None`` keeps the rigs' own). Train and test come from
  different groups: CMU "c2s" train vs test (the release's own split),
  ACRNN salsa/indian vs martial arts, iClone subjects 1-5 vs 6-7.
- The **cross-dataset benchmark** (:data:`BANDAI_BENCHMARK`): the Bandai
  Namco Research Motion Dataset 1 and 2 (``bandai.npz`` beside the bundled
  files, in ``shared/data/mocap``; CC BY-NC 4.0, never shipped), another
  lab's capture with its own skeleton (not retargeted). Its test split,
  dataset 1 (bow, bye, dash, guide, walks, kick, punch, dance, ... in 15
  styles), tests a prior trained on the open benchmark's CMU train split;
  its train split, dataset 2 (hand raises, waves, runs, walks and turns),
  trains the converse prior, tested on the open benchmark's CMU test
  groups.
"""
import json
import os
import os.path as osp
from typing import Sequence

from .convert import convert_mocap

REPO_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', '..'))
#: The bundled CMU-derived files.
BUNDLED_MOCAP = osp.join(REPO_ROOT, 'data', 'mocap')
#: Where the project's other open mocap lies (``shared/data/mocap`` beside
#: the checkout; ``MMZEDO_SHARED_MOCAP`` overrides it).
SHARED_MOCAP = os.environ.get(
    'MMZEDO_SHARED_MOCAP',
    osp.join(osp.dirname(REPO_ROOT), 'shared', 'data', 'mocap'))

OPEN_BENCHMARK = dict(
    inputs=('cmu_c2s.npz', 'cmu_acrnn.npz', 'cmu_iclone.npz'),
    name='cmu',
    fps=10,
    retarget=True,
    joint_definitions='h36m',
    test_groups=('cmu_c2s:test', 'cmu_acrnn:martial',
                 'cmu_iclone:subject006,subject007'),
    seed=0)

#: Bandai at 5 fps (its 10 fps halved: 140k frames are more than a prior
#: needs), its own skeleton, the action (second field of
#: ``dataset-1_bow_active_001``) as the category.
BANDAI_BENCHMARK = dict(
    inputs=('bandai.npz', ),
    name='bandai',
    fps=5,
    retarget=False,
    test_groups=('bandai:dataset-1', ),
    action_pattern=r'^[^_]+_([^_]+)_',
    seed=0)

OPEN_RIGS = ('h36m-like', 'phone-wide', 'telephoto')

#: The settings whose change makes an existing build stale.
_BUILD_KEYS = ('inputs', 'name', 'fps', 'retarget', 'joint_definitions',
               'seed', 'test_groups', 'splits')


def build_benchmark(spec: dict,
                    out_root: str,
                    rigs: Sequence[str] = OPEN_RIGS,
                    mocap_dir: str = BUNDLED_MOCAP,
                    force: bool = False,
                    **overrides) -> dict:
    """Build ``<out_root>/<rig>/`` for each rig from the mocap files of
    ``spec`` (:data:`OPEN_BENCHMARK`, :data:`BANDAI_BENCHMARK` or the like,
    updated with ``overrides``: :func:`convert_mocap`'s arguments), skipping
    rigs already built with the same settings unless ``force``.

    Returns:
        dict: rig -> summary (``meta.json``).
    """
    cfg = dict(spec, **overrides)
    inputs = [osp.join(mocap_dir, f) for f in cfg.pop('inputs')]
    missing = [f for f in inputs if not osp.isfile(f)]
    if missing:
        raise FileNotFoundError(f'Motion capture missing: {missing}')
    wanted = dict(cfg, inputs=[osp.basename(f) for f in inputs],
                  splits=list(cfg.get('splits', ('train', 'test'))))
    out = {}
    for rig in rigs:
        out_dir = osp.join(out_root, rig)
        meta = osp.join(out_dir, 'meta.json')
        if not force and osp.isfile(meta):
            with open(meta) as f:
                summary = json.load(f)
            same = all(
                json.dumps(summary.get('build', {}).get(k)) == json.dumps(
                    list(v) if isinstance(v, tuple) else v)
                for k, v in wanted.items() if k in _BUILD_KEYS)
            if same and all(
                    osp.isfile(osp.join(out_dir, v['annotation']))
                    for v in summary['files'].values()):
                out[rig] = summary
                continue
        # The builder owns its data root: a stale or forced build replaces
        # the files it made.
        summary = convert_mocap(inputs, out_dir, rig=rig, overwrite=True,
                                **cfg)
        out[rig] = summary
    return out


def build_open_benchmark(out_root: str = osp.join(REPO_ROOT, 'data',
                                                  'open_h36m'),
                         rigs: Sequence[str] = OPEN_RIGS,
                         mocap_dir: str = BUNDLED_MOCAP,
                         force: bool = False,
                         **overrides) -> dict:
    """:func:`build_benchmark` of :data:`OPEN_BENCHMARK`."""
    return build_benchmark(OPEN_BENCHMARK, out_root, rigs, mocap_dir, force,
                           **overrides)


def build_bandai_benchmark(out_root: str = osp.join(REPO_ROOT, 'data',
                                                    'bandai_h36m'),
                           rigs: Sequence[str] = OPEN_RIGS,
                           mocap_dir: str = SHARED_MOCAP,
                           force: bool = False,
                           **overrides) -> dict:
    """:func:`build_benchmark` of :data:`BANDAI_BENCHMARK`: both splits on
    the h36m-like rig (its train split trains the converse prior), the test
    split alone on the others."""
    out = {}
    for rig in rigs:
        splits = ('train', 'test') if rig == 'h36m-like' else ('test', )
        out.update(build_benchmark(BANDAI_BENCHMARK, out_root, [rig],
                                   mocap_dir, force,
                                   **dict(dict(splits=splits), **overrides)))
    return out
