# The paper-sized prior trained on Human3.6M (S1, S5-S8) and the open mocap
# together: mmpose's CombinedDataset of two Human36mDatasets (any number of
# mmpose 3D datasets can be listed; only their 3D targets are used), read
# once into PoseTargetDataset's tensor.
_base_ = ['./prior_mlp-1024x2_subvp_8xb1024-200k_h36m.py',
          '../_base_/datasets/open_cmu_h36m_format.py']

prior_data = dict(
    licence='Human3.6M licence (academic, non-commercial research use only)'
    ' and the CMU Graphics Lab Motion Capture Database terms',
    sources=[
        'Human3.6M (Ionescu et al., TPAMI 2014), subjects S1, S5-S8',
        'CMU Graphics Lab Motion Capture Database (mocap.cs.cmu.edu; '
        'created with funding from NSF EIA-0196217): the open benchmark\'s '
        'train groups'
    ])
h36m_train = dict(
    type='Human36mDataset',
    ann_file='annotation_body3d/fps50/h36m_train.npz',
    seq_len=1,
    causal=False,
    keypoint_2d_src='gt',
    camera_param_file='annotation_body3d/cameras.pkl',
    data_root='data/h36m/',
    pipeline=[])
open_train = dict(
    type='Human36mDataset',
    ann_file={{_base_.open_train_ann}},
    seq_len=1,
    causal=False,
    keypoint_2d_src='gt',
    camera_param_file={{_base_.open_cameras}},
    data_root='data/open_h36m/h36m-like/',
    pipeline=[])
train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            _delete_=True,
            type='CombinedDataset',
            metainfo=dict(from_file='configs/_base_/datasets/h36m.py'),
            datasets=[h36m_train, open_train],
            pipeline=[])))
