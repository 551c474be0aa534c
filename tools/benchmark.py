# Copyright (c) mmzedo contributors. All rights reserved.
"""Benchmark ZeDO on the open benchmark's test split with the bundled prior
and anchors, and the VideoPose3D baseline with and without ZeDO refinement
(when the baseline's checkpoint exists: tools/run_baseline.sh makes it).

Prints and writes JSON: MPJPE, P-MPJPE, MinMPJPE and P-MinMPJPE (mm) for
S=1 and S=10 (S=10's MPJPE scores the non-oracle lowest-energy choice), S=1
with the textbook reverse step, S=1 with the paper's budget (1000 + 500
steps, plain ray projection), S=1 on the two other rigs (GT 2D), poses
per second, prior evaluations per hypothesis and the share of the time
spent in the prior network; VideoPose3D-1frm and +ZeDO refinement on the
same rig, two other rigs and detector-like 2D (one test run each: the hook
reports the unrefined metrics too). All on ``--num-samples`` evenly spaced
test samples. poses/s counts the test epoch (mmpose's data pipeline, the
model and the evaluation), not the Runner's set-up (dataset loading,
config dump, checkpoint loading).

    python tools/benchmark.py [--num-samples 512]
"""
import argparse
import json
import os
import os.path as osp
import sys

import torch

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, REPO)

from mmzedo.utils.shipped import SHIPPED_PRIOR as PRIOR  # noqa: E402
BASELINE_CKPT = osp.join(REPO, 'work_dirs', 'videopose3d_tcn-1frm_open-cmu',
                         'epoch_12.pth')
ZEDO = 'configs/zedo/zedo_S{S}_{setting}_{source}-{rig}.py'
#: The test data of each source: the open benchmark (CMU, the prior's own
#: sources) and the cross-dataset Bandai benchmark (another lab).
SOURCES = {'open-cmu': 'data/open_h36m', 'bandai': 'data/bandai_h36m'}
CROSS_RIGS = ('phone-wide', 'telephoto')
#: The paper's (and the official release's) budget with the plain ray
#: projection (the solver preset 'paper-budget', mmzedo.core.PRESETS), as a
#: row to compare the defaults with in the same run.
PAPER_BUDGET = 'paper-budget'
REFINE = 'configs/zedo_refine/videopose3d_tcn-1frm_open-cmu_zedo-refine{}.py'
REFINE_SETTINGS = {
    'gt2d': '',
    'det2d': '_test-det',
    'gt2d, phone-wide rig': '_test-phone-wide',
    'gt2d, telephoto rig': '_test-telephoto',
}


def variant_settings(variant):
    """A run's settings of the lifter's ``zedo_cfg`` as ``--cfg-options``
    (dotted names) and its label: the defaults (``variant`` None), the
    paper's budget (:data:`PAPER_BUDGET`, a preset of the solver), or a
    step rule's name (in both loop stages; the main loop with the textbook
    step over the truncated range and its own dt)."""
    if variant is None:
        return {}, ''
    if variant == PAPER_BUDGET:
        return (dict(preset=PAPER_BUDGET),
                ', the paper\'s budget: 1000 + 500 steps, plain projection')
    return {'loops.main.step_rule': variant, 'loops.main.loop_time': None,
            'loops.polish.step_rule': variant}, f', textbook {variant} step'


def refine_hook_index(suffix: str) -> int:
    """Where ``ZeDORefineHook`` sits in a refine config's ``custom_hooks``
    (named, not counted on)."""
    from mmengine.config import Config
    hooks = Config.fromfile(osp.join(REPO, REFINE.format(suffix))).get(
        'custom_hooks', [])
    return next(i for i, h in enumerate(hooks)
                if h['type'] == 'ZeDORefineHook')


def mm(metrics, prefix=''):
    return {
        k[len(prefix):]: round(1000 * v, 1)
        for k, v in metrics.items()
        if k.startswith(prefix) and '_' not in k and 'MPJPE' in k and (
            prefix or '/' not in k)
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--num-samples', type=int, default=512)
    p.add_argument('--settings', nargs='+', default=['gt2d', 'det2d'],
                   choices=['gt2d', 'det2d'])
    p.add_argument('--hypotheses', type=int, nargs='+', default=[1, 10])
    p.add_argument('--cross-rigs', nargs='*', default=list(CROSS_RIGS),
                   choices=CROSS_RIGS,
                   help='also run S=1 with GT 2D on these rigs')
    p.add_argument('--cross-dataset', action=argparse.BooleanOptionalAction,
                   default=True,
                   help='also run S=1 on the Bandai test split (built by '
                   'tools/dataset_converters/build_bandai_benchmark.py)')
    p.add_argument('--compare-steps', nargs='*', default=['sde'],
                   help='also run S=1 with these textbook reverse steps '
                   '(the default loop uses the official ZeDO step)')
    p.add_argument('--no-paper-budget', action='store_true',
                   help='skip the S=1 rows with the paper\'s budget '
                   '(1000 + 500 steps, plain ray projection)')
    p.add_argument('--prior', default=PRIOR)
    p.add_argument('--baseline-checkpoint', default=BASELINE_CKPT)
    p.add_argument('--out', default=osp.join(REPO, 'work_dirs', 'benchmark',
                                             'benchmark.json'))
    args = p.parse_args(argv)
    from mmzedo.apis import run_test
    work = osp.dirname(args.out)
    os.makedirs(work, exist_ok=True)
    # mmengine's Runner uses CUDA when available.
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    report = dict(num_samples=args.num_samples, device=device,
                  torch=str(torch.__version__), results={})
    # (2D, rig, S, step mode, test data source)
    runs = [(setting, 'h36m-like', S, None, 'open-cmu')
            for setting in args.settings for S in args.hypotheses]
    runs += [(setting, 'h36m-like', 1, mode, 'open-cmu')
             for setting in args.settings for mode in args.compare_steps]
    if not args.no_paper_budget:
        runs += [(setting, 'h36m-like', 1, PAPER_BUDGET, 'open-cmu')
                 for setting in args.settings]
    runs += [('gt2d', rig, 1, None, 'open-cmu') for rig in args.cross_rigs]
    if args.cross_dataset:
        if not osp.isdir(osp.join(REPO, SOURCES['bandai'], 'h36m-like')):
            raise SystemExit(
                'benchmark: no Bandai test data in data/bandai_h36m: run '
                'tools/dataset_converters/build_bandai_benchmark.py first, '
                'or pass --no-cross-dataset.')
        runs += [(setting, 'h36m-like', 1, None, 'bandai')
                 for setting in args.settings]
    runs.sort(key=lambda r: (r[4] != 'open-cmu', args.settings.index(r[0]),
                             r[1] != 'h36m-like'))
    for setting, rig, S, variant, source in runs:
        cfg = osp.join(REPO, ZEDO.format(S=S, setting=setting, rig=rig,
                                         source=source))
        opts = {
            'model.head.prior_checkpoint': args.prior,
            'model.head.show_progress': False,
        }
        name = f'zedo_S{S}_{setting}'
        if rig != 'h36m-like':
            name += f'_{rig}'
        if source != 'open-cmu':
            name += f'_{source}'
        overrides, label = variant_settings(variant)
        opts.update({f'model.head.zedo_cfg.{k}': v
                     for k, v in overrides.items()})
        if variant:
            name += f'_{variant}'
        res = run_test(
            cfg, args.prior, osp.join(work, name), args.num_samples,
            cfg_options=opts,
            time_module=('head', 'prior', 'score_net'))
        row = dict(
            method=f'ZeDO S={S}' +
            (' (lowest energy)' if S > 1 else '') + label,
            setting=setting +
            (f', {rig} rig' if rig != 'h36m-like' else '') +
            (', Bandai (cross-dataset)' if source == 'bandai' else ''),
            **mm(res['metrics']),
            poses_per_second=round(res['num_samples'] / res['seconds'],
                                   2),
            # Every call evaluates all hypotheses of a batch at once.
            prior_evals_per_hypothesis=round(
                res['module_calls_per_batch']),
            prior_time_share=round(
                res['module_seconds'] / res['seconds'], 3))
        report['results'][name] = row
        print(json.dumps(row))
    if not osp.isfile(args.baseline_checkpoint):
        print(f'[benchmark] no baseline checkpoint at '
              f'{args.baseline_checkpoint}: run tools/run_baseline.sh first')
    else:
        for setting, suffix in REFINE_SETTINGS.items():
            res = run_test(
                osp.join(REPO, REFINE.format(suffix)),
                args.baseline_checkpoint,
                osp.join(work, f'refine{suffix or "_gt2d"}'),
                args.num_samples,
                cfg_options={f'custom_hooks.{refine_hook_index(suffix)}'
                             '.prior_checkpoint': args.prior})
            pps = round(res['num_samples'] / res['seconds'], 2)
            for key, method, prefix in (
                    ('videopose3d', 'VideoPose3D-1frm (supervised)',
                     'unrefined/'),
                    ('refined', 'VideoPose3D-1frm + ZeDO refinement', '')):
                row = dict(method=method, setting=setting,
                           **mm(res['metrics'], prefix),
                           poses_per_second=pps)
                report['results'][f'{key}_{setting}'] = row
                print(json.dumps(row))
    with open(args.out, 'w') as f:
        json.dump(report, f, indent=2)
    print(f'[benchmark] wrote {args.out}')
    keys = ('MPJPE', 'P-MPJPE', 'MinMPJPE', 'P-MinMPJPE')
    print('| method | 2D | ' + ' | '.join(f'{k} (mm)' for k in keys) +
          ' | poses/s | prior evals per hypothesis | prior share |')
    print('|---|---|' + '---:|' * (len(keys) + 3))
    for row in report['results'].values():
        cells = [str(row.get(k, '-')) for k in keys]
        print(f'| {row["method"]} | {row["setting"]} | ' + ' | '.join(cells) +
              f' | {row["poses_per_second"]} | '
              f'{row.get("prior_evals_per_hypothesis", "-")} | '
              f'{row.get("prior_time_share", "-")} |')
    return report


if __name__ == '__main__':
    main()
