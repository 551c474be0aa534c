# ZeDO (zero-shot) on a user's real Human3.6M in mmpose's layout, GT 2D,
# one hypothesis. Test only:
#   python tools/test.py configs/zedo/zedo_S1_gt2d_h36m.py \
#       checkpoints/prior_mlp-512x2_subvp-t01-seat-h36mjoints_open-cmu.pth
# (ZeDO has no trainable weights: test.py's checkpoint is a published
# prior of prior_checkpoint's architecture, whose weights it loads; the
# prior and anchors are set below: train/publish a prior on Human3.6M and
# build its anchors for the paper's setting, or use the bundled open-data
# ones for a cross-dataset test).
_base_ = ['mmpose::_base_/default_runtime.py']
custom_imports = dict(imports=['mmzedo'], allow_failed_imports=False)

# The default prior: the open CMU data in Human3.6M's joint definitions
# (pelvis at the hips' midpoint, joint 9 the nose), with seated legs.
prior_checkpoint = ('checkpoints/'
                    'prior_mlp-512x2_subvp-t01-seat-h36mjoints_open-cmu.pth')
# K-Means anchors, one clustering per S as in the paper (S=1: the K=1
# centre): tools/build_anchors.py --nums 1 10 50. None: the shipped anchors
# of prior_checkpoint for num_hypotheses (mmzedo.utils.shipped.
# anchor_file_for), which follow a prior set with --cfg-options.
anchors = None
num_hypotheses = 1

# mmpose's own PoseLifter: ZeDO is its head (the backbone passes the 2D
# through). The head reads the 2D and the intrinsics from each sample.
model = dict(
    type='PoseLifter',
    backbone=dict(type='PassThroughBackbone'),
    head=dict(
        type='ZeDOHead',
        prior_checkpoint=prior_checkpoint,
        anchors=anchors,
        num_hypotheses=num_hypotheses,
        # The solver's settings, grouped by stage (init, loops.main,
        # loops.polish, scale, choice, valid, sequence): nested overrides of
        # mmzedo.core.ZEDO_DEFAULTS, or of a preset (mmzedo.core.PRESETS),
        # e.g. dict(preset='10-evaluations') or
        # dict(loops=dict(main=dict(steps=20))).
        zedo_cfg=dict()))

codec = dict(
    type='VideoPoseLifting',
    num_keypoints=17,
    zero_center=True,
    root_index=0,
    remove_root=False)
test_pipeline = [
    # ZeDO needs each sample's intrinsics: names camera_param_file if the
    # dataset config has none.
    dict(type='CheckCameraParam'),
    dict(type='GenerateTarget', encoder=codec),
    dict(
        type='PackPoseInputs',
        # ZeDO reads the 2D (pixels, confidences) and the intrinsics here.
        meta_keys=('id', 'category_id', 'target_img_path', 'flip_indices',
                   'target_root', 'camera_param', 'keypoints',
                   'keypoints_visible'))
]
dataset_type = 'Human36mDataset'
data_root = 'data/h36m/'
test_dataloader = dict(
    batch_size=512,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        ann_file='annotation_body3d/fps50/h36m_test.npz',
        seq_len=1,
        causal=False,
        pad_video_seq=False,
        keypoint_2d_src='gt',
        camera_param_file='annotation_body3d/cameras.pkl',
        data_root=data_root,
        data_prefix=dict(img='images/'),
        pipeline=test_pipeline,
        test_mode=True))
test_evaluator = [
    dict(type='MPJPE', mode='mpjpe'),
    dict(type='MPJPE', mode='p-mpjpe'),
    dict(type='MPJPE', mode='n-mpjpe'),
    dict(type='MinMPJPE', mode='mpjpe'),
    dict(type='MinMPJPE', mode='p-mpjpe'),
    dict(type='PoseValidity'),
]
# mmpose's 3D visualizer (its demos and inferencers draw with this one)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='Pose3dLocalVisualizer', vis_backends=vis_backends, name='visualizer')
val_dataloader = test_dataloader
val_evaluator = test_evaluator
train_cfg = None
train_dataloader = None
optim_wrapper = None
param_scheduler = None
