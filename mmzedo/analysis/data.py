# Copyright (c) mmzedo contributors. All rights reserved.
"""Test data of the project's benchmarks in mmpose's Human3.6M layout (the
open benchmark, the Bandai cross-dataset benchmark): evenly spaced test
samples, runs of consecutive frames, and the shipped prior and anchor that
the analysis tools lift them with."""
import collections
import os.path as osp
import pickle

import numpy as np

from mmzedo.utils.shipped import (ANCHOR_FILES, REPO_ROOT, SHIPPED_PRIOR,
                                  anchor_file_for)

PRIOR = SHIPPED_PRIOR
ANCHORS = ANCHOR_FILES.format(1)


def add_sample_args(parser, out_name: str) -> None:
    """The analysis tools' test-sample options: ``--num-samples``,
    ``--offset``, ``--data-root`` and ``--out`` (default
    ``work_dirs/OUT_NAME``)."""
    parser.add_argument('--num-samples', type=int, default=256)
    parser.add_argument('--offset', type=int, default=0)
    parser.add_argument('--data-root',
                        default=osp.join(REPO_ROOT, 'data', 'open_h36m'))
    parser.add_argument('--out', default=osp.join(REPO_ROOT, 'work_dirs',
                                                  out_name))


def test_split_indices(n, num, offset=0):
    """``num`` evenly spaced indices into ``n`` test samples, shifted by
    ``offset``."""
    num = min(num, n - offset)  # each sample at most once
    return np.linspace(0, n - 1 - offset, num).astype(int) + offset


def load_test_split(rig, det, num, data_root, offset=0, name='cmu', fps=10,
                    actions=False, low_poses=False, h36m_joints=None):
    """2D, confidences, intrinsics and root-relative 3D of ``num`` evenly
    spaced samples of a benchmark's test split (``<name>_test`` at
    ``fps``: the open benchmark by default; shifted by ``offset``); with
    ``actions``, also each sample's action category (from ``imgname``).
    With ``low_poses``, the samples are drawn from the split's sitting,
    crouching and squatting poses only (both hips and knees flexed past 60
    degrees, :func:`mmzedo.core.low_pose_mask`), at most ``num``. With
    ``h36m_joints`` (``'own lengths'`` or ``'h36m lengths'``), the ground
    truth is moved to Human3.6M's joint definitions
    (:func:`mmzedo.datasets.mocap.h36m_joint_definitions`, keeping the
    people's own bone lengths or giving them Human3.6M's) and the 2D moves
    with its projection (a detector-like 2D keeps its noise)."""
    if h36m_joints not in (None, 'own lengths', 'h36m lengths'):
        raise ValueError(f'h36m_joints={h36m_joints!r}: expected '
                         "'own lengths' or 'h36m lengths'.")
    root = osp.join(data_root, rig)
    ann = np.load(osp.join(root, 'annotation_body3d', f'fps{fps}',
                           f'{name}_test.npz'))
    with open(osp.join(root, 'annotation_body3d', 'cameras.pkl'), 'rb') as f:
        cams = pickle.load(f)
    if low_poses:
        import torch

        from mmzedo.core import low_pose_mask
        pool = np.flatnonzero(low_pose_mask(torch.from_numpy(
            ann['S'][..., :3].astype(np.float32))).numpy())
        idx = pool[test_split_indices(len(pool), min(num, len(pool)),
                                      offset)]
    else:
        idx = test_split_indices(len(ann['imgname']), num, offset)
    part = (np.load(osp.join(root, 'joint_2d_det_files', f'{name}_test.npy'))
            if det else ann['part'])[idx]
    f, c, acts = [], [], []
    for img in ann['imgname'][idx]:
        # Human3.6M naming: S1/S1_Action_k.<camera>/S1_Action_k.<camera>_i.jpg
        subject, folder = img.split('/')[:2]
        cam = cams[(subject, folder.split('.')[-1])]
        f.append(np.ravel(cam['f']))
        c.append(np.ravel(cam['c']))
        acts.append(folder.split('.')[0].split('_')[1])
    S = ann['S'][idx, :, :3]
    f, c, uv = np.array(f), np.array(c), part[..., :2]
    if h36m_joints:
        import torch

        from mmzedo.core.camera_geometry import project
        from mmzedo.datasets.mocap import h36m_joint_definitions
        from mmzedo.utils.skeleton import H36M_BONE_LENGTHS
        new = h36m_joint_definitions(
            S, lengths=(None if h36m_joints == 'own lengths' else
                        H36M_BONE_LENGTHS))
        f_t, c_t = torch.from_numpy(f), torch.from_numpy(c)
        uv = uv + (project(torch.from_numpy(new), f_t, c_t) -
                   project(torch.from_numpy(S), f_t, c_t)).numpy()
        S = new
    out = (uv, part[..., 2], f, c, S - S[:, :1])
    return out + (np.array(acts), ) if actions else out


def load_prior_and_anchor(prior=PRIOR, anchors=None):
    """The prior and its S=1 anchor [1, 17, 3] that the analysis tools
    use (the bundled ones by default; ``anchors=None``: the shipped
    anchors that go with ``prior``)."""
    from mmzedo.core import ScorePrior
    from mmzedo.core.anchors import load_anchors
    anchors = anchors or anchor_file_for(prior, 1)
    return (ScorePrior.from_checkpoint(prior),
            load_anchors(anchors)['anchors'][:1])


def test_sequences(rig, det, length, num, data_root, offset=0):
    """Runs of ``length`` consecutive test frames, evenly chosen (shifted
    by ``offset`` runs; ``offset`` may be a list: their runs together).
    Offsets that would share runs with offset 0's are skipped, so that
    offsets > 0 stay apart from the runs the docs report."""
    if not np.isscalar(offset):
        parts = [test_sequences(rig, det, length, num, data_root, o)
                 for o in offset]
        parts = [p for p in parts if p is not None]
        if not parts:
            raise SystemExit(f'{rig}: no runs at offsets {list(offset)}.')
        return tuple(np.concatenate(v) for v in zip(*parts))
    root = osp.join(data_root, rig)
    ann = np.load(osp.join(root, 'annotation_body3d', 'fps10',
                           'cmu_test.npz'))
    with open(osp.join(root, 'annotation_body3d', 'cameras.pkl'), 'rb') as f:
        cams = pickle.load(f)
    part = (np.load(osp.join(root, 'joint_2d_det_files', 'cmu_test.npy'))
            if det else ann['part'])
    seqs = collections.defaultdict(list)
    for i, name in enumerate(ann['imgname']):
        stem, frame = name.rsplit('_', 1)
        seqs[stem].append((int(osp.splitext(frame)[0]), i))
    chunks = []
    for items in seqs.values():
        run = []
        for frame, i in sorted(items):
            run = run + [(frame, i)] if run and frame == run[-1][0] + 1 \
                else [(frame, i)]
            if len(run) == length:
                chunks.append([i for _, i in run])
                run = []
    step = max(1, len(chunks) // num)
    if offset and offset >= step:
        print(f'{rig}: offset {offset} skipped (its runs overlap offset '
              f'0\'s: {len(chunks)} runs, every {step}th is taken)')
        return None
    chunks = np.array(chunks[offset::step][:num])
    f, c = [], []
    for first in chunks[:, 0]:
        subject, folder = ann['imgname'][first].split('/')[:2]
        cam = cams[(subject, folder.split('.')[-1])]
        f.append(np.ravel(cam['f']))
        c.append(np.ravel(cam['c']))
    S = ann['S'][chunks][..., :3]
    return (part[chunks][..., :2], part[chunks][..., 2], np.array(f),
            np.array(c), S - S[..., :1, :])
