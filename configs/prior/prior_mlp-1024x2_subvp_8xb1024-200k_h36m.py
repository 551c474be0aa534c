# ZeDO's score-matching 3D pose prior, paper-sized network, trained on a
# user's real Human3.6M in mmpose's layout (h36m_train.npz = S1, S5, S6, S7,
# S8). Only the 3D targets are used. Validation: PriorQualityMetric on 2,000
# held-out poses of h36m_test.npz.
_base_ = ['mmpose::_base_/default_runtime.py']
custom_imports = dict(imports=['mmzedo'], allow_failed_imports=False)

max_iters = 200000
val_interval = 10000
warmup_iters = 5000

# model
model = dict(
    type='PosePrior',
    score_net=dict(
        type='ScoreMLP',
        num_joints=17,
        hidden_dim=1024,
        temb_dim=512,
        num_blocks=2,
        num_groups=32,
        dropout=0.25),
    sde=dict(type='subVP', beta_min=0.1, beta_max=20., N=1000),
    eps=1e-5,
    step_mode='sde',
    val_cfg=dict(t=0.05, steps=50, mode='ode', num_samples=64,
                 sample_steps=200, sample_mode='sde', seed=0))

# schedule: Adam 2e-4 with linear warm-up, gradient clipping 1.0, EMA 0.9999
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=val_interval)
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=2e-4), clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=False,
        begin=0,
        end=warmup_iters)
]
custom_hooks = [
    dict(
        type='EMAHook',
        ema_type='ExponentialMovingAverage',
        momentum=1e-4,  # mmengine's momentum = 1 - rate: rate 0.9999
        update_buffers=True,
        priority=49)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(
        type='CheckpointHook',
        interval=val_interval,
        by_epoch=False,
        max_keep_ckpts=3,
        save_best='prior/denoise_mpjpe',
        rule='less'))
log_processor = dict(by_epoch=False)

# data: 3D targets of mmpose's Human36mDataset, root-relative via the
# VideoPoseLifting codec; flip, rotation and bone-length augmentation.
codec = dict(
    type='VideoPoseLifting',
    num_keypoints=17,
    zero_center=True,
    root_index=0,
    remove_root=False)
dataset_type = 'Human36mDataset'
data_root = 'data/h36m/'
train_pipeline = [
    dict(
        type='RandomFlipAroundRoot',
        keypoints_flip_cfg=dict(),
        target_flip_cfg=dict(),
        flip_prob=0.5),
    dict(type='RandomRotation3D', axis='y', max_angle=180.),
    dict(type='RandomBoneScale', global_std=0.05, bone_std=0.05, prob=0.5),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=('id', 'target_img_path'))
]
val_pipeline = [
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=('id', 'target_img_path'))
]
train_dataloader = dict(
    batch_size=1024,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file='annotation_body3d/fps50/h36m_train.npz',
        seq_len=1,
        causal=False,
        keypoint_2d_src='gt',
        camera_param_file='annotation_body3d/cameras.pkl',
        data_root=data_root,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1024,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        ann_file='annotation_body3d/fps50/h36m_test.npz',
        seq_len=1,
        causal=False,
        keypoint_2d_src='gt',
        camera_param_file='annotation_body3d/cameras.pkl',
        data_root=data_root,
        # 2,000 poses spread over the test split (S9, S11; ~549k samples).
        indices=list(range(0, 548000, 274)),
        pipeline=val_pipeline,
        test_mode=True))
test_dataloader = val_dataloader
val_evaluator = dict(type='PriorQualityMetric')
test_evaluator = val_evaluator
