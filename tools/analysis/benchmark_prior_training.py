# Copyright (c) mmzedo contributors. All rights reserved.
"""Training throughput of the pose prior through mmengine's Runner: the
config's batched path (PoseTargetDataset + PriorDataPreprocessor) against
mmpose's per-sample pipeline with the same augmentation
(RandomFlipAroundRoot, RandomRotation3D, RandomBoneScale if the config
scales bones, GenerateTarget, PackPoseInputs, pseudo_collate: the previous
recipe's path), same model, optimiser, EMA and batch size.

Prints, per path: training samples per second and the share of iteration
time spent in the model's forward (loss) and backward passes; then the
speed-up. Run it alone (other heavy jobs distort the timings).

    python tools/analysis/benchmark_prior_training.py [CONFIG] \
        [--iters 300] [--warmup 30] [--data-root data/open_h36m/h36m-like/]
"""
import argparse
import json
import os.path as osp
import sys
import tempfile
import time

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)

CONFIG = osp.join(REPO, 'configs', 'prior',
                  'prior_mlp-512x2_subvp-t01_1xb512-30k_open-cmu.py')


def per_sample_pipeline(augment: dict) -> list:
    """mmpose's per-sample pipeline with the batched path's augmentation."""
    from mmzedo.core import resolve_augment_cfg
    a = resolve_augment_cfg(augment)
    pipeline = [
        dict(type='RandomFlipAroundRoot', keypoints_flip_cfg=dict(),
             target_flip_cfg=dict(), flip_prob=a['flip_prob']),
        dict(type='RandomRotation3D', axis=a['rotation_axis'],
             max_angle=a['max_angle'])
    ]
    if a['bone_scale_prob'] > 0:
        pipeline.append(
            dict(type='RandomBoneScale', global_std=a['global_std'],
                 bone_std=a['bone_std'], clip=a['clip'],
                 prob=a['bone_scale_prob']))
    return pipeline + [
        dict(type='GenerateTarget',
             encoder=dict(type='VideoPoseLifting', num_keypoints=17,
                          zero_center=True, root_index=0, remove_root=False)),
        dict(type='PackPoseInputs', meta_keys=('id', 'target_img_path'))
    ]


def _timer_hook(warmup, record):
    from mmengine.hooks import Hook

    class IterTimer(Hook):
        priority = 'LOWEST'

        def before_train(self, runner):
            model = runner.model
            opt = runner.optim_wrapper
            run_forward, backward = model._run_forward, opt.backward

            def timed(fn, key):

                def wrapper(*args, **kwargs):
                    t0 = time.perf_counter()
                    out = fn(*args, **kwargs)
                    if runner.iter >= warmup:
                        record[key] += time.perf_counter() - t0
                    return out

                return wrapper

            model._run_forward = timed(run_forward, 'forward')
            opt.backward = timed(backward, 'backward')

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            # runner.iter is the index of this iteration here.
            if runner.iter + 1 == warmup:
                record['t0'] = time.perf_counter()
            record['t1'] = time.perf_counter()

    return IterTimer()


def run(config, per_sample, iters, warmup, data_root):
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(config)
    cfg.work_dir = tempfile.mkdtemp(prefix='prior_speed_')
    cfg.launcher = 'none'
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters + 1
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=iters + 1)
    cfg.default_hooks.logger.interval = iters
    loader = cfg.train_dataloader
    if data_root:
        loader.dataset.dataset.data_root = data_root
    if per_sample:
        inner = loader.dataset.dataset
        inner.pipeline = per_sample_pipeline(
            cfg.model.data_preprocessor.get('augment'))
        loader.dataset = inner
        loader.collate_fn = dict(type='pseudo_collate')
        cfg.model.data_preprocessor = dict(type='BaseDataPreprocessor')
    runner = Runner.from_cfg(cfg)
    record = dict(forward=0., backward=0.)
    runner.register_hook(_timer_hook(warmup, record))
    runner.train()
    seconds = record['t1'] - record['t0']
    n = iters - warmup
    return dict(
        path='per-sample pipeline' if per_sample else 'batched (config)',
        batch_size=loader.batch_size,
        iters_per_second=round(n / seconds, 2),
        samples_per_second=round(n * loader.batch_size / seconds, 1),
        forward_backward_share=round(
            (record['forward'] + record['backward']) / seconds, 3))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('config', nargs='?', default=CONFIG)
    p.add_argument('--iters', type=int, default=300)
    p.add_argument('--warmup', type=int, default=30)
    p.add_argument('--data-root', default=None,
                   help='override the training data root')
    args = p.parse_args(argv)
    if not 0 < args.warmup < args.iters:
        p.error('need 0 < --warmup < --iters')
    rows = [run(args.config, per_sample, args.iters, args.warmup,
                args.data_root) for per_sample in (True, False)]
    for row in rows:
        print(json.dumps(row))
    speedup = rows[1]['samples_per_second'] / rows[0]['samples_per_second']
    print('| path | samples/s | iterations/s | forward+backward share |')
    print('|---|---:|---:|---:|')
    for r in rows:
        print(f'| {r["path"]} | {r["samples_per_second"]} | '
              f'{r["iters_per_second"]} | {r["forward_backward_share"]} |')
    print(f'speed-up (samples/s): {speedup:.2f}x')
    return rows, speedup


if __name__ == '__main__':
    main()
