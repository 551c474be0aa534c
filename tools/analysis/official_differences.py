# Copyright (c) mmzedo contributors. All rights reserved.
"""Where mmzedo's ZeDO loop can differ from the official release, measured:
each switch of :data:`mmzedo.core.ZEDO_DEFAULTS` flipped on its own, and
all set to the release's values together (with its budget of 1000 + 500
steps), against the defaults (S=1,
bundled prior and anchor, evenly spaced test samples of the open
benchmark: GT 2D on the three rigs and detector-like 2D).

Prints a Markdown table (MPJPE / P-MPJPE in mm) and writes
``work_dirs/official_differences.json``.

    python tools/analysis/official_differences.py [--num-samples 256]
"""
import argparse
import json
import os
import os.path as osp
import sys

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(__file__))

from mmzedo.analysis import (errors, load_prior_and_anchor,  # noqa: E402
                             load_test_split)
from step_rule_sweep import SETTINGS  # noqa: E402

#: The other value of each switch (the release's, but for re-centring,
#: where the default is the release's).
OFFICIAL = {
    'root re-centred after the ray projection (not the release)':
    dict(loops=dict(main=dict(recentre_root=True),
                    polish=dict(recentre_root=True))),
    'image-plane least-squares T (conf^2, sign flip)':
    dict(translation_solve='image-plane'),
    'unweighted initial-pose fit': dict(init=dict(weighted=False)),
    'initial depth 3 m': dict(init=dict(depth=3.0)),
    'plain projection onto the rays':
    dict(loops=dict(main=dict(ray_relaxation=1.0))),
    'one stage, no polish':
    dict(loops=dict(main=dict(steps=49), polish=dict(steps=0))),
}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--num-samples', type=int, default=256)
    p.add_argument('--data-root',
                   default=osp.join(REPO, 'data', 'open_h36m'))
    p.add_argument('--out', default=osp.join(REPO, 'work_dirs',
                                             'official_differences.json'))
    args = p.parse_args(argv)
    import torch

    from mmzedo.core import ZeDOSolver, zedo_lift
    torch.set_grad_enabled(False)
    prior, anchors = load_prior_and_anchor()
    rows = {'mmzedo defaults': {}}
    rows.update(OFFICIAL)
    # the release's budget (the preset) with every switch but re-centring
    release = ZeDOSolver.build('paper-budget')
    for change in list(OFFICIAL.values())[1:-1]:
        release = release.replace(**change)
    rows['all as the release'] = release
    results = {}
    for setting, (rig, det) in SETTINGS.items():
        data = load_test_split(rig, det, args.num_samples, args.data_root)
        for name, change in rows.items():
            kp, conf, f, c, gt = data
            out = zedo_lift(prior, kp, conf, f, c, anchors, solver=change)
            results[f'{name} | {setting}'] = errors(
                out['pose'].numpy(), gt) + (int(out['valid'].sum()), )
            print(json.dumps({f'{name} | {setting}':
                              results[f'{name} | {setting}']}), flush=True)
    os.makedirs(osp.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(results, f, indent=2)
    print('\n| loop (switch) | ' + ' | '.join(SETTINGS) + ' |')
    print('|---|' + '---:|' * len(SETTINGS))
    for name, change in rows.items():
        cells = [
            '{} / {}'.format(*results[f'{name} | {s}'][:2]) for s in SETTINGS
        ]
        label = name + (f' (`{change}`)' if change and name in OFFICIAL
                        else '')
        print(f'| {label} | ' + ' | '.join(cells) + ' |')


if __name__ == '__main__':
    main()
