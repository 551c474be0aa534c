# Copyright (c) mmzedo contributors. All rights reserved.
"""Compare pose-prior training recipes by what matters downstream: each
variant of the shipped prior's config is trained through mmengine's Runner
(as ``tools/train.py`` does), published, and scored with ZeDO S=1 on the
open benchmark (h36m-like rig, GT and detector-like 2D, ``--num-samples``
evenly spaced test samples, as ``tools/benchmark.py``), next to its
held-out denoising metric (``PriorQualityMetric``).

Results accumulate in ``work_dirs/prior_sweep/results.json`` (a variant
already there is not re-run unless ``--force``; one whose checkpoint
``work_dirs/prior_sweep/NAME/iter_N.pth`` exists is scored without
training); the table printed at the end covers every variant in that
file.

    python tools/analysis/prior_recipe_sweep.py [VARIANT ...] \
        [--num-samples 512] [--force]
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.join(REPO, 'tools'))

CONFIG = osp.join(REPO, 'configs', 'prior',
                  'prior_mlp-512x2_subvp-t01_1xb512-30k_open-cmu.py')
ZEDO = osp.join(REPO, 'configs', 'zedo',
                'zedo_S1_{}_open-cmu-h36m-like.py')
WORK = osp.join(REPO, 'work_dirs', 'prior_sweep')


def _recipe(t_max=0.15, full_range_prob=0.1, batch=256, iters=6000,
            **extra):
    """Overrides of the shipped config: training times, batch size,
    iterations (the cosine schedule follows), the previous recipe's
    bone-scale augmentation (probability 0.5) and input scale (1), and
    anything else."""
    return {
        'model.train_t': dict(t_max=t_max, full_range_prob=full_range_prob),
        'train_dataloader.batch_size': batch,
        'train_cfg.max_iters': iters,
        'param_scheduler.1.end': iters,
        'model.data_preprocessor.augment.bone_scale_prob': 0.5,
        'model.score_net.input_scale': 1.0,
        **extra
    }


#: name -> (description, overrides of CONFIG).
VARIANTS = {
    't1_6k': ('t ~ U(0, 1) (previous recipe), batch 256, 6k it',
              _recipe(1.0, 0.0)),
    't015_6k': ('t ~ U(0, 0.15), batch 256, 6k it', _recipe(0.15, 0.0)),
    't015+full10_6k': ('t ~ U(0, 0.15) + 10% U(0, 1), batch 256, 6k it',
                       _recipe()),
    't03+full10_6k': ('t ~ U(0, 0.3) + 10% U(0, 1), batch 256, 6k it',
                      _recipe(0.3)),
    't01+full10_6k': ('t ~ U(0, 0.1) + 10% U(0, 1), batch 256, 6k it',
                      _recipe(0.1)),
    'nodrop_t015+full10_6k': ('t ~ U(0, 0.15) + 10%, batch 256, 6k it, '
                              'dropout 0',
                              _recipe(**{'model.score_net.dropout': 0.0})),
    'b512_t015+full10_6k': ('t ~ U(0, 0.15) + 10%, batch 512, 6k it',
                            _recipe(batch=512)),
    'w1024_t015+full10_6k': ('t ~ U(0, 0.15) + 10%, batch 256, 6k it, '
                             'width 1024 (time embedding 512)',
                             _recipe(**{'model.score_net.hidden_dim': 1024,
                                        'model.score_net.temb_dim': 512})),
    'noscale_t015+full10_6k': ('t ~ U(0, 0.15) + 10%, batch 256, 6k it, '
                               'no bone-scale augmentation',
                               _recipe(**{
                                   'model.data_preprocessor.augment.'
                                   'bone_scale_prob': 0.0})),
    'in4_t015+full10_6k': ('t ~ U(0, 0.15) + 10%, batch 256, 6k it, input '
                           'scale 4 (EDM c_in ~ 1 / sigma_data)',
                           _recipe(**{'model.score_net.input_scale': 4.0})),
    'shipped': ('shipped: t ~ U(0, 0.1) + 10% U(0, 1), batch 512, 30k it, '
                'no bone scaling, input scale 4', {}),
}


def train_variant(name, overrides, data_root):
    """Train (unless ``WORK/name/iter_N.pth`` exists) and test the prior's
    quality (``PriorQualityMetric``) on the held-out poses."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(overrides)
    cfg.work_dir = osp.join(WORK, name)
    cfg.launcher = 'none'
    iters = cfg.train_cfg.max_iters
    cfg.train_cfg.val_interval = iters
    cfg.default_hooks.checkpoint.interval = iters
    cfg.train_dataloader.dataset.dataset.data_root = data_root
    cfg.val_dataloader.dataset.data_root = data_root
    cfg.test_dataloader = cfg.val_dataloader
    ckpt = osp.join(cfg.work_dir, f'iter_{iters}.pth')
    seconds = None
    if not osp.isfile(ckpt):
        t0 = time.perf_counter()
        Runner.from_cfg(cfg).train()
        seconds = round(time.perf_counter() - t0)
    cfg.load_from = ckpt
    metrics = Runner.from_cfg(cfg).test()
    val = {
        k: round(metrics[f'prior/{k}'], 3)
        for k in ('noised_mpjpe', 'denoise_mpjpe', 'sample_bone_asym',
                  'sample_bone_spread')
    }
    cfg_path = osp.join(cfg.work_dir, 'variant_config.py')
    cfg.dump(cfg_path)
    return cfg_path, ckpt, val, seconds


def score(prior, num_samples):
    from mmzedo.apis import run_test
    out = {}
    for setting in ('gt2d', 'det2d'):
        res = run_test(
            ZEDO.format(setting), prior,
            osp.join(osp.dirname(prior), f'zedo_{setting}'), num_samples,
            cfg_options={'model.head.prior_checkpoint': prior,
                         'model.head.show_progress': False})
        m = res['metrics']
        out[setting] = dict(MPJPE=round(1000 * m['MPJPE'], 1),
                            P_MPJPE=round(1000 * m['P-MPJPE'], 1))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('variants', nargs='*', default=list(VARIANTS),
                   help=f'any of {list(VARIANTS)} (default: all)')
    p.add_argument('--num-samples', type=int, default=512)
    p.add_argument('--data-root',
                   default=osp.join(REPO, 'data', 'open_h36m', 'h36m-like/'))
    p.add_argument('--force', action='store_true')
    args = p.parse_args(argv)
    unknown = set(args.variants) - set(VARIANTS)
    if unknown:
        p.error(f'unknown variants {sorted(unknown)}')
    from publish_prior import publish
    os.makedirs(WORK, exist_ok=True)
    path = osp.join(WORK, 'results.json')
    results = json.load(open(path)) if osp.isfile(path) else {}
    for name in args.variants:
        if name in results and not args.force:
            continue
        desc, overrides = VARIANTS[name]
        cfg_path, ckpt, val, seconds = train_variant(name, overrides,
                                                     args.data_root)
        prior = publish(cfg_path, ckpt,
                        osp.join(WORK, name, 'prior_published.pth'))
        results[name] = dict(description=desc, train_seconds=seconds,
                             val=val, zedo_S1=score(prior, args.num_samples))
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(results, f, indent=2)
        os.replace(tmp, path)
        print(json.dumps({name: results[name]}))
    print('| recipe | GT 2D MPJPE | GT 2D P-MPJPE | det. 2D MPJPE | '
          'det. 2D P-MPJPE | denoised (noised) mm | sample asym. / '
          'spread |')
    print('|---|---:|---:|---:|---:|---:|---:|')
    for name, r in results.items():
        gt, det, v = r['zedo_S1']['gt2d'], r['zedo_S1']['det2d'], r['val']
        desc = VARIANTS[name][0] if name in VARIANTS else r['description']
        print(f'| {desc} | {gt["MPJPE"]} | {gt["P_MPJPE"]} | '
              f'{det["MPJPE"]} | {det["P_MPJPE"]} | '
              f'{v["denoise_mpjpe"]:.1f} ({v["noised_mpjpe"]:.1f}) | '
              f'{v["sample_bone_asym"]:.3f} / '
              f'{v["sample_bone_spread"]:.3f} |')
    return results


if __name__ == '__main__':
    main()
