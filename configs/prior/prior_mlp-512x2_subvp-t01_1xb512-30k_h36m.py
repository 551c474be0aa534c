# The CPU recipe (the shipped open prior's; see the recipe table of
# docs/prior_training.md)
# on a user's real Human3.6M in mmpose's layout (S1, S5-S8): the paper-sized
# config's data path, augmentation and training-time distribution
# (prior_mlp-1024x2_..._h36m.py: PoseTargetDataset, batched augmentation on
# the device: flips and yaw rotations, no bone scaling; t ~ U(0, 0.1) with
# 10% full-range draws; input scale 4) with width 512
# (time embedding 128), dropout 0.1, batch 512, 30k iterations, lr 1e-3
# with cosine decay, warm-up 500 and EMA rate 0.999, traded for time on a
# 2-core CPU. The paper-sized network stays the GPU config.
_base_ = ['./prior_mlp-1024x2_subvp_8xb1024-200k_h36m.py']

max_iters = 30000
val_interval = 10000
warmup_iters = 500

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
    logger=dict(interval=500),
    checkpoint=dict(interval=val_interval))

train_dataloader = dict(batch_size=512)
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
