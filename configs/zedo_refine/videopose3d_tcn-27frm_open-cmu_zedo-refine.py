# mmpose's 27-frame VideoPose3D (non-causal: the target is the centre frame
# of each 27-frame window) on the open benchmark, with ZeDO refinement at
# test time. The hook refines the target frame with that frame's 2D. A
# CPU-sized schedule (the open benchmark is at 10 fps; mmpose's is 50).
_base_ = [
    'mmpose::body_3d_keypoint/video_pose_lift/h36m/'
    'video-pose-lift_tcn-27frm-supv_8xb128-160e_h36m.py',
    '../_base_/datasets/open_cmu_h36m_format.py'
]
custom_imports = dict(imports=['mmzedo'], allow_failed_imports=False)

data_root = 'data/open_h36m/h36m-like/'

train_cfg = dict(max_epochs=4, val_interval=4)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='ExponentialLR', gamma=0.82, end=4, by_epoch=True)
]
auto_scale_lr = dict(base_batch_size=1024, enable=False)
default_hooks = dict(logger=dict(type='LoggerHook', interval=50))

train_dataloader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file={{_base_.open_train_ann}},
        camera_param_file={{_base_.open_cameras}}))
val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file={{_base_.open_test_ann}},
        camera_param_file={{_base_.open_cameras}}))
test_dataloader = val_dataloader

custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(
        type='ZeDORefineHook',
        prior_checkpoint='checkpoints/'
        'prior_mlp-512x2_subvp-t01-seat-h36mjoints_open-cmu.pth')
]
