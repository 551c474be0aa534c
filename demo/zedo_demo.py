# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO demo (the README's main job): lift bundled test 2D poses to 3D with
the bundled prior and anchors, through mmengine's Runner and mmpose's
dataset and MPJPE metric.

Prints MPJPE and P-MPJPE (mm), writes ``results.json`` (per sample: image
name, 2D input, 3D prediction, ground truth, hypotheses' energies, error)
and ``zedo_demo.png`` (2D input next to the 3D result and the ground truth).

    python demo/zedo_demo.py [--num-samples 256] [--out-dir work_dirs/demo]
"""
import argparse
import json
import os
import os.path as osp
import sys

import numpy as np

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, REPO)

DEFAULT_CFG = osp.join(REPO, 'configs', 'zedo',
                       'zedo_S1_gt2d_open-cmu-h36m-like.py')
from mmzedo.utils.shipped import SHIPPED_PRIOR as DEFAULT_PRIOR  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--config', default=DEFAULT_CFG)
    p.add_argument('--checkpoint', default=DEFAULT_PRIOR,
                   help='published prior (loaded by the lifter)')
    p.add_argument('--num-samples', type=int, default=256)
    p.add_argument('--out-dir', default=osp.join(REPO, 'work_dirs', 'demo'))
    p.add_argument('--num-shown', type=int, default=4)
    p.add_argument('--cfg-options', nargs='*', default=[],
                   help='key=value overrides (values as Python literals)')
    return p.parse_args(argv)


def _literal(v):
    import ast
    try:
        return ast.literal_eval(v)
    except (ValueError, SyntaxError):
        return v


def draw(records, path, skeleton):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    n = len(records)
    fig = plt.figure(figsize=(8, 3.6 * n))
    for row, r in enumerate(records):
        kp = np.asarray(r['keypoints_2d'])
        ax = fig.add_subplot(n, 2, 2 * row + 1)
        for a, b in skeleton:
            ax.plot(kp[[a, b], 0], kp[[a, b], 1], 'k-', lw=1.5)
        ax.scatter(kp[:, 0], kp[:, 1], c=r['keypoint_scores'], cmap='viridis',
                   s=14, vmin=0, vmax=1)
        ax.set_xlim(0, r['image_size'][0])
        ax.set_ylim(r['image_size'][1], 0)
        ax.set_aspect('equal')
        ax.set_title(f'2D input: {osp.basename(r["img"])}', fontsize=8)
        ax3 = fig.add_subplot(n, 2, 2 * row + 2, projection='3d')
        for key, color in (('gt_3d', 'tab:green'), ('pred_3d', 'tab:red')):
            p = np.asarray(r[key])
            p = p - p[:1]
            # camera frame (x right, y down, z forward) -> plot x, z, -y
            for a, b in skeleton:
                ax3.plot(p[[a, b], 0], p[[a, b], 2], -p[[a, b], 1],
                         color=color, lw=1.5)
        ax3.set_title(f'3D: ZeDO (red) vs ground truth (green), '
                      f'MPJPE {r["mpjpe_mm"]:.0f} mm', fontsize=8)
        lim = 0.9
        ax3.set_xlim(-lim, lim)
        ax3.set_ylim(-lim, lim)
        ax3.set_zlim(-lim, lim)
        ax3.view_init(elev=10, azim=-80)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    from mmzedo.apis import run_test
    from mmzedo.utils import PARENTS
    os.makedirs(args.out_dir, exist_ok=True)
    opts = {k: _literal(v) for k, v in
            (o.split('=', 1) for o in args.cfg_options)}
    opts['model.head.prior_checkpoint'] = args.checkpoint
    res = run_test(args.config, args.checkpoint, args.out_dir,
                   num_samples=args.num_samples, cfg_options=opts,
                   time_module=('head', 'prior', 'score_net'))
    m = res['metrics']
    records = []
    for d in res['outputs']:
        pred = np.asarray(d['pred_instances']['keypoints']).reshape(17, 3)
        gt = np.asarray(d['gt_instances']['lifting_target']).reshape(17, 3)
        meta = d['metainfo'] if 'metainfo' in d else d
        cam = meta['camera_param']
        records.append(
            dict(
                img=str(np.asarray(meta['target_img_path']).reshape(-1)[0]),
                keypoints_2d=np.asarray(meta['keypoints']).reshape(
                    17, 2).tolist(),
                keypoint_scores=np.asarray(
                    meta['keypoints_visible']).reshape(17).tolist(),
                image_size=[int(cam['w']), int(cam['h'])],
                pred_3d=pred.tolist(),
                gt_3d=gt.tolist(),
                energy=np.asarray(
                    d['pred_instances']['energy']).reshape(-1).tolist(),
                mpjpe_mm=float(1000 * np.linalg.norm(
                    (pred - pred[:1]) - (gt - gt[:1]), axis=-1).mean())))
    summary = dict(
        config=osp.relpath(args.config, REPO),
        num_samples=res['num_samples'],
        seconds=round(res['seconds'], 2),
        poses_per_second=round(res['num_samples'] / res['seconds'], 2),
        prior_time_share=round(res['module_seconds'] / res['seconds'], 3),
        metrics_mm={
            k: round(1000 * v, 2)
            for k, v in m.items() if '_' not in k and 'MPJPE' in k
        })
    with open(osp.join(args.out_dir, 'results.json'), 'w') as f:
        json.dump(dict(summary=summary, samples=records), f)
    skeleton = [(int(PARENTS[j]), j) for j in range(1, 17)]
    shown = np.linspace(0, len(records) - 1, args.num_shown).astype(int)
    draw([records[i] for i in shown], osp.join(args.out_dir, 'zedo_demo.png'),
         skeleton)
    print(f'\n[demo] ZeDO on {summary["num_samples"]} bundled test poses '
          f'({summary["config"]}): MPJPE {summary["metrics_mm"]["MPJPE"]:.1f}'
          f' mm, P-MPJPE {summary["metrics_mm"]["P-MPJPE"]:.1f} mm; '
          f'{summary["seconds"]:.0f} s, {summary["poses_per_second"]:.1f} '
          'poses/s')
    print(f'[demo] wrote {osp.join(args.out_dir, "results.json")} and '
          f'{osp.join(args.out_dir, "zedo_demo.png")}')
    return summary


if __name__ == '__main__':
    from mmzedo.utils.cli import run_cli
    run_cli(main)
