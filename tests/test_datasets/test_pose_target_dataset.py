# Copyright (c) mmzedo contributors. All rights reserved.
"""PoseTargetDataset holds exactly the root-relative targets that mmpose's
own pipeline (Human36mDataset + VideoPoseLifting codec) produces; batches
come out in one piece and are augmented on the device only in training."""
import os.path as osp

import numpy as np
import pytest
import torch

from mmzedo.utils import bone_lengths

ANN = 'annotation_body3d/fps10/cmu_train.npz'
CAMS = 'annotation_body3d/cameras.pkl'


def _h36m(root, rig='h36m-like', pipeline=()):
    return dict(type='Human36mDataset', ann_file=ANN, seq_len=1,
                causal=False, keypoint_2d_src='gt', camera_param_file=CAMS,
                data_root=osp.join(root, rig) + '/', pipeline=list(pipeline))


@pytest.fixture(scope='module')
def dataset(open_benchmark):
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS

    import mmzedo  # noqa: F401
    init_default_scope('mmpose')
    root, _ = open_benchmark
    return root, DATASETS.build(
        dict(type='PoseTargetDataset', dataset=_h36m(root)))


def test_targets_match_mmpose_pipeline(dataset):
    from mmpose.registry import DATASETS
    root, ds = dataset
    codec = dict(type='VideoPoseLifting', num_keypoints=17, zero_center=True,
                 root_index=0, remove_root=False)
    ref = DATASETS.build(_h36m(root, pipeline=[
        dict(type='GenerateTarget', encoder=codec),
        dict(type='PackPoseInputs')
    ]))
    assert len(ds) == len(ref) > 50000
    assert ds.poses.dtype == torch.float32 and ds.poses.shape[1:] == (17, 3)
    for i in np.linspace(0, len(ds) - 1, 7).astype(int):
        label = ref[i]['data_samples'].gt_instance_labels
        torch.testing.assert_close(
            ds[i], label.lifting_target_label.reshape(17, 3).float())
    assert ds.poses[:, 0].abs().max() == 0  # root-relative


def test_whole_batches_and_collate(dataset):
    from mmengine.registry import FUNCTIONS
    from torch.utils.data import DataLoader
    _, ds = dataset
    collate = FUNCTIONS.get('pose_batch_collate')
    batch = collate(ds.__getitems__([3, 1, 4]))
    assert batch['data_samples'] is None
    torch.testing.assert_close(batch['inputs'], ds.poses[[3, 1, 4]])
    loader = DataLoader(ds, batch_size=64, shuffle=True,
                        collate_fn=collate)
    first = next(iter(loader))['inputs']
    assert first.shape == (64, 17, 3)
    stacked = collate([ds[0], ds[1]])['inputs']
    torch.testing.assert_close(stacked, ds.poses[:2])


def test_combined_datasets(open_benchmark, dataset):
    from mmpose.registry import DATASETS
    root, ds = dataset
    both = DATASETS.build(dict(
        type='PoseTargetDataset',
        dataset=dict(type='CombinedDataset',
                     metainfo=dict(from_file='configs/_base_/datasets/'
                                   'h36m.py'),
                     datasets=[_h36m(root), _h36m(root, 'telephoto')],
                     pipeline=[])))
    tele = DATASETS.build(
        dict(type='PoseTargetDataset', dataset=_h36m(root, 'telephoto')))
    assert len(both) == len(ds) + len(tele)
    assert torch.equal(both.poses[:len(ds)], ds.poses)
    assert torch.equal(both.poses[len(ds):], tele.poses)


class _Fake(torch.utils.data.Dataset):
    metainfo = {}

    def __init__(self, targets):
        self.targets = targets

    def __len__(self):
        return len(self.targets)

    def get_data_info(self, i):
        return dict(lifting_target=self.targets[i])


def test_bad_targets_get_clear_errors(dataset):
    from mmzedo.datasets import PoseTargetDataset
    _, ds = dataset
    good = ds.poses[:10].numpy()[:, None]
    with pytest.raises(ValueError, match='metres'):
        PoseTargetDataset(_Fake(good * 1000))
    nan = good.copy()
    nan[3, 0, 5, 1] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        PoseTargetDataset(_Fake(nan))
    with pytest.raises(ValueError, match='shape'):
        PoseTargetDataset(_Fake(good[:, :, :14]))
    with pytest.raises(ValueError, match='empty'):
        PoseTargetDataset(_Fake([]))


def test_preprocessor_augments_only_in_training(dataset):
    from mmpose.registry import MODELS
    _, ds = dataset
    pre = MODELS.build(dict(type='PriorDataPreprocessor',
                            augment=dict(flip_prob=0.5)))
    batch = dict(inputs=ds.poses[:256].clone(), data_samples=None)
    torch.manual_seed(0)
    train = pre(batch, training=True)['inputs']
    test = pre(batch, training=False)['inputs']
    torch.testing.assert_close(test, ds.poses[:256])
    assert (train - ds.poses[:256]).abs().amax() > 0.05
    # Rotation about the vertical and flips keep heights' spread; bone
    # scaling keeps lengths within the clip range.
    ratio = bone_lengths(train.numpy()) / bone_lengths(ds.poses[:256].numpy())
    assert 0.79 < ratio.min() and ratio.max() < 1.21
    with pytest.raises(TypeError, match='flip'):
        MODELS.build(dict(type='PriorDataPreprocessor',
                          augment=dict(flipprob=0.5)))


def test_h36m_joint_definitions_option(dataset, rig_joints_benchmark):
    """``joint_definitions='h36m'`` trains on the same poses with the pelvis
    at the hips' midpoint, joint 9 the nose and Human3.6M's bone lengths
    (root-relative again). The open benchmark already has Human3.6M's
    pelvis and nose (the option then only evens out body size); built in
    the capture rigs' own definitions its pelvis sits above the hips, and
    the option moves it."""
    from mmpose.registry import DATASETS

    from mmzedo.datasets.mocap import h36m_joint_definitions
    from mmzedo.utils import bone_lengths
    from mmzedo.utils.skeleton import H36M_BONE_LENGTHS
    root, ds = dataset
    assert ((ds.poses[:, 1] + ds.poses[:, 4]) / 2).abs().max() < 1e-5
    # Human3.6M's bone lengths times one body scale per sequence
    scale = bone_lengths(ds.poses.numpy()) / H36M_BONE_LENGTHS[1:]
    np.testing.assert_allclose(scale, scale[:, :1].repeat(16, 1), atol=1e-4)
    assert 0.79 < scale.min() and scale.max() < 1.21 and scale.std() > 0.01
    rig_root = rig_joints_benchmark
    rig = DATASETS.build(dict(type='PoseTargetDataset',
                              dataset=_h36m(rig_root)))
    assert ((rig.poses[:, 1] + rig.poses[:, 4]) / 2).norm(dim=-1).max() > 0.05
    for data_root, plain in ((root, ds), (rig_root, rig)):
        moved = DATASETS.build(dict(type='PoseTargetDataset',
                                    dataset=_h36m(data_root),
                                    joint_definitions='h36m'))
        assert moved.poses.shape == plain.poses.shape
        idx = np.linspace(0, len(plain) - 1, 500).astype(int)
        ref = h36m_joint_definitions(plain.poses[idx].numpy())
        np.testing.assert_allclose(moved.poses[idx].numpy(),
                                   ref - ref[:, :1], atol=1e-5)
        assert moved.poses[:, 0].abs().max() == 0
        hips_mid = (moved.poses[:, 1] + moved.poses[:, 4]) / 2
        assert hips_mid.abs().max() < 1e-5
        np.testing.assert_allclose(bone_lengths(moved.poses[idx].numpy()),
                                   np.broadcast_to(H36M_BONE_LENGTHS[1:],
                                                   (500, 16)), atol=1e-5)
    with pytest.raises(ValueError, match="joint_definitions='coco'"):
        DATASETS.build(dict(type='PoseTargetDataset', dataset=_h36m(root),
                            joint_definitions='coco'))
