# ZeDO's score-matching 3D pose prior, paper-sized network, trained on a
# user's real Human3.6M in mmpose's layout (h36m_train.npz = S1, S5, S6, S7,
# S8). Only the 3D targets are used. Validation: PriorQualityMetric on 2,000
# held-out poses of h36m_test.npz.
_base_ = ['mmpose::_base_/default_runtime.py']
custom_imports = dict(imports=['mmzedo'], allow_failed_imports=False)
# The training data's licence and sources, written into the published
# prior's meta (tools/publish_prior.py).
prior_data = dict(
    licence='Human3.6M licence: academic, non-commercial research use only',
    sources=['Human3.6M (Ionescu et al., TPAMI 2014), subjects S1, S5-S8'])

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
        dropout=0.25,
        # EDM's c_in at small noise (1 / sigma_data, root-relative poses in
        # metres): open benchmark S=1 P-MPJPE 45.4 -> 42.8 mm
        # (docs/prior_training.md).
        input_scale=4.0),
    sde=dict(type='subVP', beta_min=0.1, beta_max=20., N=1000),
    eps=1e-5,
    step_mode='sde',
    # Training times: mostly the noise levels ZeDO's loop uses (t <= 0.1),
    # 10% full-range draws so that unconditional sampling still works.
    train_t=dict(t_max=0.1, full_range_prob=0.1),
    # Flip and yaw rotation of whole batches on the model's device
    # (mmzedo.core.augment_poses), as in the paper. No bone-length scaling:
    # a prior that learns that body size is free lets ZeDO's loop drift in
    # scale (open benchmark: S=1 MPJPE 94.7 -> 80.0 mm without it;
    # docs/prior_training.md).
    data_preprocessor=dict(
        type='PriorDataPreprocessor',
        augment=dict(
            flip_prob=0.5,
            rotation_axis='y',
            max_angle=180.,
            bone_scale_prob=0.)),
    val_cfg=dict(t=0.05, steps=50, mode='ode', num_samples=64,
                 sample_steps=200, sample_mode='sde', seed=0))

# schedule: Adam 2e-4 with linear warm-up, gradient clipping 1.0, EMA 0.9999
train_cfg = dict(
    _delete_=True,
    type='IterBasedTrainLoop',
    max_iters=max_iters,
    val_interval=val_interval)
optim_wrapper = dict(
    # fused: one kernel for all parameters (3x faster steps on a CPU).
    optimizer=dict(type='Adam', lr=2e-4, fused=True),
    clip_grad=dict(max_norm=1.0))
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

# data: the root-relative 3D targets of mmpose's Human36mDataset, held as
# one tensor (PoseTargetDataset: no per-sample pipeline in the training
# loop); validation runs mmpose's pipeline (VideoPoseLifting codec).
codec = dict(
    type='VideoPoseLifting',
    num_keypoints=17,
    zero_center=True,
    root_index=0,
    remove_root=False)
dataset_type = 'Human36mDataset'
data_root = 'data/h36m/'
val_pipeline = [
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=('id', 'target_img_path'))
]
train_dataloader = dict(
    batch_size=1024,
    # Batches are one indexing op: worker processes would only add IPC.
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='pose_batch_collate'),
    dataset=dict(
        type='PoseTargetDataset',
        dataset=dict(
            type=dataset_type,
            ann_file='annotation_body3d/fps50/h36m_train.npz',
            seq_len=1,
            causal=False,
            keypoint_2d_src='gt',
            camera_param_file='annotation_body3d/cameras.pkl',
            data_root=data_root,
            pipeline=[])))
val_dataloader = dict(
    batch_size=1024,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    # 2,000 poses spread over whatever the test file holds (S9, S11:
    # ~549k samples in the full release; fewer in a partial one).
    dataset=dict(
        type='EvenlySpacedSubset',
        num=2000,
        dataset=dict(
            type=dataset_type,
            ann_file='annotation_body3d/fps50/h36m_test.npz',
            seq_len=1,
            causal=False,
            keypoint_2d_src='gt',
            camera_param_file='annotation_body3d/cameras.pkl',
            data_root=data_root,
            pipeline=val_pipeline,
            test_mode=True)))
test_dataloader = val_dataloader
val_evaluator = dict(type='PriorQualityMetric')
test_evaluator = val_evaluator
