# The shipped prior: trained on the open benchmark's train split (bundled
# CMU-derived mocap, h36m-like rig; 3D only) on a CPU. Compared with the
# paper's network (prior_mlp-1024x2_..._h36m.py) it trades width (512 vs
# 1024), dropout (0.1 vs 0.25: far fewer iterations to regularise), batch
# size (256 vs 1024), iterations (6k vs 200k), lr (1e-3 with cosine decay vs
# 2e-4), warm-up (500) and EMA rate (0.999 vs 0.9999, which would average
# over more iterations than the whole run).
_base_ = ['./prior_mlp-1024x2_subvp_8xb1024-200k_h36m.py',
          '../_base_/datasets/open_cmu_h36m_format.py']

max_iters = 6000
val_interval = 2000
warmup_iters = 500
data_root = 'data/open_h36m/h36m-like/'

model = dict(
    score_net=dict(hidden_dim=512, temb_dim=128, dropout=0.1),
    val_cfg=dict(num_samples=128))
train_cfg = dict(max_iters=max_iters, val_interval=val_interval)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False,
         begin=warmup_iters, end=max_iters)
]
custom_hooks = [
    dict(type='EMAHook', ema_type='ExponentialMovingAverage', momentum=1e-3,
         update_buffers=True, priority=49)
]
default_hooks = dict(
    logger=dict(interval=250),
    checkpoint=dict(interval=val_interval))

train_dataloader = dict(
    batch_size=256,
    # In-process loading: on a 2-core CPU, worker IPC costs more than the
    # transforms themselves.
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file={{_base_.open_train_ann}},
        camera_param_file={{_base_.open_cameras}}))
val_dataloader = dict(
    batch_size=1024,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file={{_base_.open_test_ann}},
        camera_param_file={{_base_.open_cameras}},
        # ~2,100 poses spread over the 14,873 test samples.
        indices=list(range(0, 14873, 7))))
test_dataloader = val_dataloader
