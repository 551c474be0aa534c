# mmpose's single-frame VideoPose3D (PoseLifter + TCN, unchanged model and
# codec) trained on the open benchmark's train split (h36m-like rig, GT 2D)
# and tested on its test split. This is the supervised reference that ZeDO
# is compared with.
_base_ = [
    'mmpose::body_3d_keypoint/video_pose_lift/h36m/'
    'video-pose-lift_tcn-1frm-supv-cpn-ft_8xb128-160e_h36m.py',
    '../_base_/datasets/open_cmu_h36m_format.py'
]
custom_imports = dict(imports=['mmzedo'], allow_failed_imports=False)

data_root = 'data/open_h36m/h36m-like/'

# CPU-sized schedule: 12 epochs of ~56k samples (mmpose: 160 epochs of
# 1.5M), batch 1024 on one device with the lr that mmpose's auto-scaling
# gives 8x128, decayed to ~1e-4.
train_cfg = dict(max_epochs=12, val_interval=12)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.82, end=12, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=1024, enable=False)
default_hooks = dict(logger=dict(type='LoggerHook', interval=50))

train_dataloader = dict(
    batch_size=1024,
    # In-process loading: on a 2-core CPU, passing 1024 PoseDataSamples
    # between worker processes costs ~10x more than the transforms.
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file={{_base_.open_train_ann}},
        camera_param_file={{_base_.open_cameras}},
        keypoint_2d_src='gt',
        keypoint_2d_det_file=None))
val_dataloader = dict(
    batch_size=1024,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file={{_base_.open_test_ann}},
        camera_param_file={{_base_.open_cameras}},
        keypoint_2d_src='gt',
        keypoint_2d_det_file=None))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='MPJPE', mode='mpjpe'),
    dict(type='MPJPE', mode='p-mpjpe'),
    dict(type='MPJPE', mode='n-mpjpe'),
]
test_evaluator = val_evaluator
