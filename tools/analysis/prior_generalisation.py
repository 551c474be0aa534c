# Copyright (c) mmzedo contributors. All rights reserved.
"""How well a pose prior generalises to motion from another source: ZeDO
S=1 (the lifter's default loop, GT and detector-like 2D) with priors
trained by recipes of the shipped config, scored cross-dataset and on the
same source.

- **CMU -> Bandai**: priors trained on the open benchmark's CMU train
  split, tested on the Bandai test split (another lab's capture, its own
  skeleton; ``tools/dataset_converters/build_bandai_benchmark.py``), with
  MPJPE / P-MPJPE per action group.
- **Same source**: the same priors on the open benchmark's CMU test groups
  (the same-source rows of docs/cross_dataset.md).
- **Bandai -> CMU** (``--converse PRIOR ANCHORS``): a prior trained on
  Bandai's train split, on the CMU test groups.

A recipe (``RECIPES``) is a set of overrides of the exported shipped
config (``tools/train_prior_plain.py export``): augmentation settings,
network width, iterations. Each is trained on this machine by the
plain-torch trainer (``train_prior_plain.train``: the same DSM, schedule
and EMA as ``tools/train.py``), published under ``--work-dir``, and scored;
results accumulate in ``--work-dir/results.json`` (a recipe already scored
is not retrained). ``--prior NAME=FILE`` scores a published prior as it
is. Prints Markdown tables.

    python tools/analysis/prior_generalisation.py --recipes shipped mix \\
        [--iters 8000] [--prior shipped=checkpoints/...pth]
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys

import numpy as np

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, REPO)
sys.path.insert(0, osp.dirname(__file__))
sys.path.insert(0, osp.join(REPO, 'tools'))

from mmzedo.analysis import (ANCHORS, PRIOR, errors,  # noqa: E402
                             lift_poses, load_prior_and_anchor,
                             load_test_split, scale_ratio)
from mmzedo.utils.shipped import anchor_file_for  # noqa: E402

#: The recipes' base config (flips and yaw, the rigs' joint definitions),
#: exported once for the recipes.
CONFIG = osp.join(REPO, 'configs', 'prior',
                  'prior_mlp-512x2_subvp-t01_1xb512-30k_open-cmu.py')
#: Widened coverage, each lever alone and together (overrides of the
#: exported settings; ``augment`` updates the augmentation, ``train_t``
#: the training-time distribution, ``score_net`` the network, e.g. its
#: ``hidden_dim``).
RECIPES = {
    'shipped': {},
    'mix': dict(augment=dict(mix_prob=0.5)),
    'angles': dict(augment=dict(angle_prob=0.5)),
    'tilt': dict(augment=dict(tilt_prob=0.3, max_tilt=30.)),
    # Both legs flexed at hips and knees (sitting, crouching, squatting).
    'seat': dict(augment=dict(seat_prob=0.2)),
    'mix+angles+seat': dict(
        augment=dict(mix_prob=0.5, angle_prob=0.5, seat_prob=0.2)),
    'bones': dict(augment=dict(bone_scale_prob=0.5)),
    # Seated legs and body proportions (bone-length scaling) together.
    'seat+bones': dict(augment=dict(seat_prob=0.2, bone_scale_prob=0.5)),
    # Seated legs and body proportions only: each bone scaled on its own
    # (10% std, mirror bones alike), no global size change.
    'seat+proportions': dict(augment=dict(seat_prob=0.2, bone_scale_prob=0.5,
                                          global_std=0., bone_std=0.1)),
    'mix+angles': dict(augment=dict(mix_prob=0.5, angle_prob=0.5)),
    'mix+angles+bones': dict(
        augment=dict(mix_prob=0.5, angle_prob=0.5, bone_scale_prob=0.5)),
    'mix+angles+tilt': dict(
        augment=dict(mix_prob=0.5, angle_prob=0.5, tilt_prob=0.3)),
    # The same CMU train groups twice: retargeted (as shipped) and with
    # their sources' own skeletons (three body sizes and joint placements).
    'native': dict(data='native'),
    'native+mix+angles': dict(data='native',
                              augment=dict(mix_prob=0.5, angle_prob=0.5)),
    # The train poses with Human3.6M's joint definitions (pelvis at the
    # hips' midpoint, joint 9 the nose), and their own S=1 anchor.
    'h36m-joints': dict(data='h36m-joints'),
    'h36m-joints+seat': dict(data='h36m-joints',
                             augment=dict(seat_prob=0.2)),
    # ... with body size and proportions (bone-length scaling) as well.
    'h36m-joints+seat+bones': dict(
        data='h36m-joints',
        augment=dict(seat_prob=0.2, bone_scale_prob=0.5)),
    # ... with part mixing and joint-angle perturbation instead.
    'h36m-joints+mix+angles+seat': dict(
        data='h36m-joints',
        augment=dict(mix_prob=0.5, angle_prob=0.5, seat_prob=0.2)),
    # ... with whole-body pitch and roll instead.
    'h36m-joints+tilt+seat': dict(
        data='h36m-joints',
        augment=dict(tilt_prob=0.3, max_tilt=30., seat_prob=0.2)),
    # ... with part mixing, joint angles and tilt together.
    'h36m-joints+mix+angles+tilt+seat': dict(
        data='h36m-joints',
        augment=dict(mix_prob=0.5, angle_prob=0.5, tilt_prob=0.3,
                     max_tilt=30., seat_prob=0.2)),
    # ... with training times t ~ U(0, 0.3) (10% full-range draws kept)
    # instead of U(0, 0.1): the prior also learns noise levels above those
    # the loop asks for.
    'h36m-joints+seat+t03': dict(data='h36m-joints',
                                 augment=dict(seat_prob=0.2),
                                 train_t=dict(t_max=0.3)),
    # ... with the paper's network width (1024, time embedding 512; the
    # shipped 1024-wide prior's) at the default's batch and iterations.
    'h36m-joints+seat+w1024': dict(
        data='h36m-joints', augment=dict(seat_prob=0.2),
        score_net=dict(hidden_dim=1024, temb_dim=512)),
}
#: (column, benchmark, rig, detector-like 2D, samples, sitting and
#: crouching poses only).
SETTINGS = (
    ('CMU -> Bandai, GT 2D', 'bandai', 'h36m-like', False, 2048, False),
    ('CMU -> Bandai, det. 2D', 'bandai', 'h36m-like', True, 2048, False),
    ('same source, GT 2D', 'cmu', 'h36m-like', False, 256, False),
    ('same source, det. 2D', 'cmu', 'h36m-like', True, 256, False),
    ('same source, sitting/crouching, GT 2D', 'cmu', 'h36m-like', False, 256,
     True),
)
#: The GT of the settings moved to Human3.6M's joint definitions (pelvis
#: at the hips' midpoint, joint 9 the nose), as in Human3.6M's annotation
#: and mmpose's COCO -> Human3.6M conversion: ``--h36m-joints``. Bandai
#: keeps its people's bone lengths; the CMU test groups keep Human3.6M's
#: (the benchmark is retargeted to them, and so is the train split of the
#: ``h36m-joints`` recipes).
H36M_JOINTS = ', Human3.6M joints'
H36M_JOINT_SETTINGS = tuple(
    (col + H36M_JOINTS, ) + tuple(rest) for col, *rest in SETTINGS
    if not rest[-1])
#: Bandai's test actions in groups (the action categories in imgname).
ACTION_GROUPS = {
    'walks': ('Walk', 'WalkBack', 'WalkLeft', 'WalkRight'),
    'gestures': ('Bye', 'Byebye', 'Call', 'Guide', 'Respond'),
    'bow': ('Bow', ),
    'kick, punch, slash': ('Kick', 'Punch', 'Slash'),
    'dance': ('DanceShort', ),
}
#: Each benchmark's folder under ``--data-root``, its frame rate, and the
#: bone lengths of its Human3.6M-joints setting.
BENCHMARKS = dict(bandai=('bandai_h36m', 5, 'own lengths'),
                  cmu=('open_h36m', 10, 'h36m lengths'))


def recipe_settings(base: dict, recipe: dict, iters: int) -> dict:
    """The exported ``base`` settings with a recipe's overrides and
    ``iters`` iterations (the cosine schedule ends there)."""
    s = copy.deepcopy(base)
    for key, value in recipe.items():
        if key == 'data':
            continue
        if key == 'augment':
            s['augment'].update(value)
        elif key in ('score_net', 'train_t'):
            s['prior_cfg'][key].update(value)
        else:
            s[key] = value
    s['max_iters'] = iters
    for sched in s['param_scheduler']:
        if sched['type'] == 'CosineAnnealingLR':
            sched['end'] = iters
    return s


def native_poses(data_root: str) -> np.ndarray:
    """Root-relative poses [N, 17, 3] of the open benchmark's CMU train
    groups with their sources' own skeletons (not retargeted; h36m-like
    rig), built under ``data_root/open_h36m_native`` on first use."""
    from mmzedo.datasets.mocap import build_open_benchmark
    root = osp.join(data_root, 'open_h36m_native')
    build_open_benchmark(root, ['h36m-like'], retarget=False,
                         splits=('train', ))
    S = np.load(osp.join(root, 'h36m-like', 'annotation_body3d', 'fps10',
                         'cmu_train.npz'))['S'][..., :3]
    return (S - S[:, :1]).astype(np.float32)


def h36m_joint_poses(export_dir: str, out_dir: str):
    """The exported train poses with Human3.6M's joint definitions
    (root-relative, float32) and the path of their S=1 anchor file,
    written to ``out_dir``."""
    from mmzedo.core.anchors import build_anchor_files
    from mmzedo.datasets.mocap import h36m_joint_definitions
    poses = h36m_joint_definitions(
        np.load(osp.join(export_dir, 'poses.npy')))
    poses = (poses - poses[:, :1]).astype(np.float32)
    os.makedirs(out_dir, exist_ok=True)
    anchors = build_anchor_files(poses, [1], out_dir, 'h36m-joints',
                                 source='open CMU train split, Human3.6M '
                                 'joint definitions')[1]
    return poses, anchors


def train_recipe(export_dir: str, out_dir: str, settings: dict,
                 extra_poses=None, poses_instead=None, seed: int = 0) -> str:
    """Train ``settings`` on the exported poses (plus ``extra_poses``, or
    ``poses_instead``; plain torch, this machine's CPU or GPU, torch seeded
    with ``seed``) into ``out_dir``; returns the published prior."""
    import torch

    from train_prior_plain import train
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'settings.json'), 'w') as f:
        json.dump(settings, f, indent=2)
    poses = osp.join(out_dir, 'poses.npy')
    if osp.lexists(poses):  # a link to the export is never written through
        os.remove(poses)
    if poses_instead is not None:
        np.save(poses, poses_instead)
    elif extra_poses is not None:
        np.save(poses, np.concatenate(
            [np.load(osp.join(export_dir, 'poses.npy')), extra_poses]))
    else:
        os.symlink(osp.abspath(osp.join(export_dir, 'poses.npy')), poses)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    return train(out_dir, out_dir, device, log_every=500, seed=seed)


def score(prior_file: str, anchor_file: str, roots: dict,
          settings=SETTINGS, solver=None, size_known=False) -> dict:
    """MPJPE / P-MPJPE / scale of ZeDO S=1 with a prior on each setting
    (``roots``: benchmark -> its data root), and per action group on the
    GT-2D cross-dataset setting. ``solver``: the solver's settings (as
    ``ZeDOSolver.build`` takes them; default the default solver). With
    ``size_known``, each setting's lifts are scaled to the mean bone
    length of its test samples' ground truth (the people's size known, as
    from a user's ``--height``)."""
    from mmzedo.core import ZeDOSolver
    from mmzedo.utils import bone_lengths
    prior, anchors = load_prior_and_anchor(prior_file, anchor_file)
    out = dict(prior=osp.relpath(prior_file, REPO),
               anchors=osp.relpath(anchor_file, REPO), settings={},
               actions={})
    for column, bench, rig, det, num, low in settings:
        data = load_test_split(rig, det, num, roots[bench], name=bench,
                               fps=BENCHMARKS[bench][1], actions=True,
                               low_poses=low,
                               h36m_joints=None if not column.endswith(
                                   H36M_JOINTS) else BENCHMARKS[bench][2])
        gt = data[4]
        run = ZeDOSolver.build(solver)
        if size_known:
            run = run.replace(scale=dict(
                bone_length=float(bone_lengths(gt).mean())))
        pred, _ = lift_poses(prior, anchors, data, run)
        out['settings'][column] = errors(pred, gt) + (scale_ratio(pred, gt),)
        if column == SETTINGS[0][0]:
            for group, acts in ACTION_GROUPS.items():
                sel = np.isin(data[5], acts)
                if sel.any():
                    out['actions'][group] = errors(pred[sel], gt[sel]) + (
                        int(sel.sum()), )
    return out


def skeleton_floors(prior_file: str, anchor_file: str, roots: dict) -> dict:
    """How much of the GT-2D errors is the skeleton rather than the pose:
    per GT-2D setting, the lift as it is; rescaled per sample to the
    ground truth's mean bone length (scale known); with its bone directions
    and the ground truth's bone lengths (bone lengths known); and the
    ground truth's own bone directions with the Human3.6M bone lengths of
    the prior's training data (a perfect pose in the prior's skeleton).
    Each is MPJPE / P-MPJPE in mm."""
    import torch

    from mmzedo.core import with_bone_lengths
    from mmzedo.utils import bone_lengths
    from mmzedo.utils.skeleton import H36M_BONE_LENGTHS
    prior, anchors = load_prior_and_anchor(prior_file, anchor_file)
    rows = {}
    for column, bench, rig, det, num, low in SETTINGS:
        if det or low:
            continue
        data = load_test_split(rig, det, num, roots[bench], name=bench,
                               fps=BENCHMARKS[bench][1])
        pred, _ = lift_poses(prior, anchors, data)
        gt = data[4]
        scale = bone_lengths(gt).mean(1) / bone_lengths(pred).mean(1)
        t = (lambda v: torch.from_numpy(np.asarray(v, np.float32)))  # noqa
        rows[column] = {
            'the lift': errors(pred, gt),
            'the lift, scale known': errors(pred * scale[:, None, None], gt),
            'the lift, bone lengths known': errors(with_bone_lengths(
                t(pred), t(bone_lengths(gt))).numpy(), gt),
            "the true pose in the prior's skeleton": errors(
                with_bone_lengths(t(gt), t(H36M_BONE_LENGTHS[1:])).numpy(),
                gt),
        }
    return rows


def print_floors(rows: dict) -> None:
    cols = list(rows)
    print('| pose | ' + ' | '.join(cols) + ' |')
    print('|---|' + '---:|' * len(cols))
    for name in rows[cols[0]]:
        print(f'| {name} | ' + ' | '.join(
            '{} / {}'.format(*rows[c][name]) for c in cols) + ' |')


def print_tables(results: dict, columns) -> None:
    converse = {k: r for k, r in results.items()
                if k.startswith('Bandai-trained')}
    results = {k: r for k, r in results.items() if k not in converse}
    print('| recipe | ' + ' | '.join(columns) + ' |')
    print('|---|' + '---:|' * len(columns))
    for name, r in results.items():
        cells = []
        for col in columns:
            v = r['settings'].get(col)
            cells.append('-' if v is None else f'{v[0]} / {v[1]} ({v[2]})')
        print(f'| {name} | ' + ' | '.join(cells) + ' |')
    if converse:
        cols = [c for c in columns if c.startswith('same source')]
        print('\nBandai -> CMU (the CMU test groups):\n')
        print('| prior | ' + ' | '.join(c.replace('same source', 'Bandai -> '
                                                  'CMU') for c in cols) + ' |')
        print('|---|' + '---:|' * len(cols))
        for name, r in converse.items():
            print(f'| {name} | ' + ' | '.join(
                '{} / {} ({})'.format(*r['settings'][c]) for c in cols) +
                ' |')
    with_actions = {k: r for k, r in results.items() if r['actions']}
    if not with_actions:
        return
    acts = [g for g in ACTION_GROUPS
            if any(g in r['actions'] for r in with_actions.values())]
    first = next(iter(with_actions.values()))['actions']
    print('\nCMU -> Bandai, GT 2D, per action group (samples):\n')
    print('| recipe | ' + ' | '.join(
        f'{a} ({first[a][2] if a in first else "-"})' for a in acts) + ' |')
    print('|---|' + '---:|' * len(acts))
    for name, r in with_actions.items():
        print(f'| {name} | ' + ' | '.join(
            '{} / {}'.format(*r['actions'][a][:2]) if a in r['actions'] else
            '-' for a in acts) + ' |')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--recipes', nargs='*', default=[],
                   choices=sorted(RECIPES))
    p.add_argument('--iters', type=int, default=8000,
                   help='training iterations of each recipe')
    p.add_argument('--seed', type=int, default=0,
                   help="the recipes' training seed (a seed other than 0 "
                   'names its rows and folders: run-to-run spread)')
    p.add_argument('--prior', nargs='*', default=[], metavar='NAME=FILE',
                   help='published priors to score as they are (CMU-trained'
                   ', with the shipped anchors)')
    p.add_argument('--converse', nargs=2, metavar=('PRIOR', 'ANCHORS'),
                   help='a Bandai-trained prior (a published file, or the '
                   'directory of `train_prior_plain.py export` of the Bandai '
                   'config: its recipe is then trained for --iters) and its '
                   'S=1 anchors, scored on the CMU test groups')
    p.add_argument('--data-root', default=osp.join(REPO, 'data'))
    p.add_argument('--export-dir',
                   default=osp.join(REPO, 'work_dirs', 'prior_export_open'))
    p.add_argument('--work-dir',
                   default=osp.join(REPO, 'work_dirs', 'generalisation'))
    p.add_argument('--anchors', default=None,
                   help="S=1 anchor file (default: the prior's shipped "
                   'anchors; for recipes the default prior\'s)')
    p.add_argument('--zedo-cfg', type=json.loads, default=None,
                   help='the solver settings of the --prior rows, as JSON '
                   '(e.g. \'{"scale": {"bone_length": "prior"}}\')')
    p.add_argument('--size-known', action='store_true',
                   help='--prior rows: each setting\'s lifts scaled to the '
                   'mean bone length of its ground truth (the people\'s size '
                   'known)')
    p.add_argument('--floors', metavar='PRIOR',
                   help='print what the skeleton costs with this prior (GT '
                   '2D: scale or bone lengths known, the true pose in the '
                   "prior's skeleton) and exit")
    p.add_argument('--h36m-joints', nargs='*', metavar='NAME',
                   help='score these rows of results.json (default: all '
                   "CMU-trained) on the settings' ground truth moved to "
                   "Human3.6M's joint definitions, and print that table")
    p.add_argument('--rescore', action='store_true',
                   help='score every prior in results.json again (after a '
                   'change to the scoring)')
    args = p.parse_args(argv)
    roots = {k: osp.join(args.data_root, v[0]) for k, v in BENCHMARKS.items()}
    if args.floors:
        print_floors(skeleton_floors(
            args.floors, args.anchors or anchor_file_for(args.floors, 1),
            roots))
        return
    os.makedirs(args.work_dir, exist_ok=True)
    res_file = osp.join(args.work_dir, 'results.json')
    results = {}
    if osp.isfile(res_file):
        with open(res_file) as f:
            results = json.load(f)

    def save():
        from mmzedo.utils.safe_io import atomic_path
        with atomic_path(res_file) as tmp:
            with open(tmp, 'w') as f:
                json.dump(results, f, indent=2)

    for name, r in list(results.items()) if args.rescore else []:
        converse = name.startswith('Bandai-trained')
        results[name] = dict(r, **score(
            osp.join(REPO, r['prior']),
            osp.join(REPO, r.get('anchors') or args.anchors or ANCHORS),
            roots, [s for s in SETTINGS if s[1] == 'cmu'] if converse else
            SETTINGS))
        save()
    if args.h36m_joints is not None:
        cols = [c[0] for c in H36M_JOINT_SETTINGS]
        names = args.h36m_joints or [
            k for k in results if not k.startswith('Bandai-trained')]
        for name in names:
            if name not in results:
                raise SystemExit(f'{name!r} is not a row of {res_file}.')
            r = results[name]
            if not all(c in r['settings'] for c in cols):
                r['settings'].update(score(
                    osp.join(REPO, r['prior']), osp.join(REPO, r['anchors']),
                    roots, H36M_JOINT_SETTINGS)['settings'])
                save()
        print_tables({k: results[k] for k in names}, cols)
        return
    for item in args.prior or ([] if args.recipes or args.converse
                               or args.rescore else
                               [f'shipped prior={PRIOR}']):
        name, _, path = item.rpartition('=')
        results[name] = score(path,
                              args.anchors or anchor_file_for(path, 1), roots,
                              solver=args.zedo_cfg,
                              size_known=args.size_known)
        save()
    if args.recipes:
        if not osp.isfile(osp.join(args.export_dir, 'settings.json')):
            from train_prior_plain import export
            export(CONFIG, args.export_dir)
        with open(osp.join(args.export_dir, 'settings.json')) as f:
            base = json.load(f)
    for name in args.recipes:
        key = f'{name}, {args.iters // 1000}k it'
        if args.seed:
            key += f', seed {args.seed}'
        if key in results:
            continue
        s = recipe_settings(base, RECIPES[name], args.iters)
        data = RECIPES[name].get('data')
        out_dir = osp.join(args.work_dir,
                           key.replace(', ', '_').replace(' ', ''))
        extra = native_poses(args.data_root) if data == 'native' else None
        poses, anchors = None, args.anchors or ANCHORS
        if data == 'h36m-joints':
            poses, anchors = h36m_joint_poses(args.export_dir, out_dir)
        prior_file = train_recipe(args.export_dir, out_dir, s, extra, poses,
                                  args.seed)
        results[key] = score(prior_file, anchors, roots)
        results[key]['recipe'] = RECIPES[name]
        save()
        print(json.dumps({key: results[key]['settings']}), flush=True)
    if args.converse:
        prior_file, anchors = args.converse
        name = 'Bandai-trained (converse)'
        if osp.isdir(prior_file):
            with open(osp.join(prior_file, 'settings.json')) as f:
                s = recipe_settings(json.load(f), {}, args.iters)
            name += f', {args.iters // 1000}k it'
            prior_file = train_recipe(
                prior_file, osp.join(args.work_dir,
                                     f'bandai_{args.iters // 1000}kit'), s)
        results[name] = score(prior_file, anchors, roots,
                              [s for s in SETTINGS if s[1] == 'cmu'])
        save()
    print_tables(results, [s[0] for s in SETTINGS])


if __name__ == '__main__':
    main()
