# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO's settings (plain torch): one nested dict grouped by the solver's
stages (:class:`~mmzedo.core.solver.ZeDOSolver`), merged with a user's
overrides and checked once.

Groups::

    init      the initial-pose fit (Adam over a rotation and a depth scale)
    loops     the loop stages, run in order, each with its own time
              schedule, step rule and ray projection (default: 'main',
              then 'polish'); a stage with steps=0 is skipped
    scale     the size of the lifted skeletons (default: the loop's own)
    choice    the energy and the rule that picks one of the S hypotheses
    valid     the validity check of each result
    sequence  video: the warm start of later frames and its restarts
    root_index, translation_solve   shared by every stage

A user's overrides are merged stage by stage (``dict(loops=dict(
main=dict(steps=20)))`` changes one setting); an unknown name, or a
setting of the flat layout that came before the stages, is an error that
names where the setting lives.
"""
import copy
import math
from typing import Mapping, Optional

from .choice import get_choice_rule
from .inputs import ZeDOInputError
from .steps import get_step_rule

#: One loop stage's settings (every stage has all of them).
LOOP_SETTINGS = ('steps', 'warmup', 't_max', 't_min', 'step_rule',
                 'loop_time', 'ray_relaxation', 'recentre_root',
                 'bone_symmetry')

#: The solver's settings (all configurable): the paper's, except for the
#: budget: 39 + 10 loop steps (+ 1 prior evaluation for the energy) and 50
#: initial-pose steps instead of 1000 + 500. The official step over a
#: pseudo-time of 0.7 (dt = 0.7/39) with the projection onto the rays
#: over-relaxed (ray_relaxation = 1.7) and a 3-step warm-up, then a
#: 10-step polish at low noise with the plain projection, beats the
#: paper's budget on the open benchmark (three rigs, GT and detector-like
#: 2D; chosen on samples apart from the test samples that the docs
#: report): tools/analysis/step_rule_sweep.py.
ZEDO_DEFAULTS = dict(
    # The initial-pose fit: Adam (steps, lr) over a rotation about `axes`
    # ('x', 'y', 'z' or 'xyz') and a depth scale clamped to `scale_range`,
    # on the reprojection of `joints` (pelvis, right hip, left hip),
    # weighted by confidence (`weighted`; the release: not), from the
    # depth where the anchor has the 2D spread (`depth` None; the release:
    # a fixed 3.0 m).
    init=dict(steps=50, lr=0.1, axes='z', joints=(0, 1, 4),
              scale_range=(0.5, 2.0), weighted=True, depth=None),
    loops=dict(
        # Noise levels linear from t_max to t_min, each step of
        # pseudo-time loop_time / steps (the official release: 1000 steps
        # of dt = 1/1000; the textbook steps over the truncated range
        # integrate only t_max - t_min, too little against the ray
        # projection; loop_time=None gives the textbook dt). T is fixed for
        # `warmup` steps. Each joint moves ray_relaxation times the way
        # onto its camera ray: 1 is the paper's projection; in (1, 2) it is
        # over-relaxed (past the ray), which converges in far fewer steps.
        # Like the release, the pose is not made root-relative after the
        # projection (recentre_root=True: 3-14 mm worse on the open
        # benchmark). bone_symmetry in [0, 1] draws each left/right pair
        # of bones that share of the way to the pair's mean length after
        # the projection (a weak bone-length term; 0: off, as the paper;
        # docs/cross_dataset.md measures it).
        main=dict(steps=39, warmup=3, t_max=0.1, t_min=0.01,
                  step_rule='zedo-official', loop_time=0.7,
                  ray_relaxation=1.7, recentre_root=False,
                  bone_symmetry=0.0),
        # ... then a short polish, as ZeDO's refinement mode: the plain
        # projection at low noise, a smaller pseudo-time.
        polish=dict(steps=10, warmup=0, t_max=0.05, t_min=0.01,
                    step_rule='zedo-official', loop_time=0.1,
                    ray_relaxation=1.0, recentre_root=False,
                    bone_symmetry=0.0)),
    # The size of the lifted skeletons. A pose and its translation scaled
    # together project to the same 2D, so the 2D cannot tell size from
    # depth: the loop's own scale comes from the prior and drifts. None
    # keeps it; a number (metres) scales each result (pose and translation
    # together, the 2D fit unchanged) to that mean bone length, e.g. from
    # a known body height (mmzedo.utils.skeleton.height_to_bone_length);
    # 'prior': to the mean bone length of the prior's training skeleton
    # (Human3.6M's). docs/cross_dataset.md measures each.
    scale=dict(bone_length=None),
    # ZeDO's energy: reprojection error (px) + prior_weight * the RMS of
    # the prior's predicted noise at energy_t; `rule` (mmzedo.core.choice)
    # picks one hypothesis (tools/analysis/hypothesis_choice.py scores
    # the rules).
    choice=dict(rule='energy', prior_weight=1.0, energy_t=0.05),
    # Validity flag of each result (never silent garbage):
    valid=dict(
        # the weighted reprojection error relative to the 2D pose's RMS
        # spread,
        max_reprojection=0.15,
        # the mean bone length relative to the Human3.6M skeleton's
        # (H36M_BONE_LENGTHS),
        bone_ratio=(0.6, 1.6),
        # at least this many joints with confidence > 0 (fewer leave the
        # pose to the prior: plausible, but not the person's),
        min_joints=6,
        # 2D whose narrower principal axis is at least this fraction of its
        # wider one (the benchmarks' real 2D poses measure 0.05 or more,
        # 1st percentile 0.09-0.16: tools/analysis/plausibility_checks.py),
        min_2d_aspect=0.03,
        # 2D whose confidence-weighted centre lies at most this many
        # degrees off the optical axis: the open benchmark's rigs stay
        # within 28 degrees; with f and c swapped their people lie 53-79
        # degrees off it (docs/bad_input.md).
        max_off_axis=50.),
    # Video (zedo_lift_sequence): later frames of a track start from the
    # previous pose, drawn `anchor_weight` of the way back to the track's
    # anchor, and run the loops with `warm_loops` over them; a frame whose
    # 2D jumped more than `restart_jump` times the previous 2D spread is
    # lifted in full (None: never). Chosen on open-benchmark sequences
    # apart from the reported ones (tools/analysis/in_the_wild_benchmark.py
    # --sequence-offset 1 2 3 4; tools/analysis/identity_switch_benchmark.py):
    # 35 steps of dt = 0.01 from t = 0.06 and no polish (after a warm start
    # it made MPJPE worse: 61.4 vs 59.5 mm with GT 2D). With the default
    # prior t = 0.06 is at least as good as lifting each frame on all four
    # tuning rows (t = 0.07: up to 1 mm worse; docs/in_the_wild.md).
    sequence=dict(anchor_weight=0.15, restart_jump=0.5,
                  warm_loops=dict(main=dict(steps=35, warmup=0, t_max=0.06,
                                            loop_time=0.35),
                                  polish=dict(steps=0))),
    root_index=0,
    # T minimises the confidence-weighted squared distances of the joints
    # from their rays ('rays'); 'image-plane': the release's least squares
    # on X - Z * [x, y, 1] with confidence^2 weights.
    translation_solve='rays')

#: Where each setting of the flat layout (before the stages) lives now.
FLAT_SETTINGS = dict(
    **{f'init_{k}': f'init.{k}' for k in ZEDO_DEFAULTS['init']},
    **{k: f'loops.main.{k}' for k in LOOP_SETTINGS if k != 'step_rule'},
    step_mode='loops.main.step_rule (and loops.polish.step_rule)',
    polish_steps='loops.polish.steps', polish_t_max='loops.polish.t_max',
    polish_loop_time='loops.polish.loop_time',
    energy_prior_weight='choice.prior_weight', energy_t='choice.energy_t',
    **{f'valid_{k}': f'valid.{k}' for k in ZEDO_DEFAULTS['valid']},
    anchor_weight='sequence.anchor_weight',
    restart_jump='sequence.restart_jump')


def _merge(base: Mapping, overrides: Mapping, path: str) -> dict:
    """``base`` updated with ``overrides`` group by group; unknown names
    are an error naming the path (``ZeDOInputError``). The loop stages
    (``loops``) may gain a stage that gives all of its settings; the
    warm start's overlay (``sequence.warm_loops``) holds any stages, each
    with any of the loop settings."""
    stages = path in ('loops.', 'sequence.warm_loops.')
    overlay = path.startswith('sequence.warm_loops.')
    out = copy.deepcopy(dict(base))
    for name, value in dict(overrides).items():
        where = f'{path}{name}'
        if name not in out:
            if overlay and not stages and name in LOOP_SETTINGS:
                out[name] = value
                continue
            if stages:  # a new loop stage
                missing = [] if overlay else [
                    k for k in LOOP_SETTINGS if k not in (value or {})]
                if not isinstance(value, Mapping) or missing:
                    raise ZeDOInputError(
                        f'ZeDO loop stage {where!r} is new (stages: '
                        f'{sorted(out)}): it needs all of '
                        f'{list(LOOP_SETTINGS)}, missing {missing}.')
                out[name] = copy.deepcopy(dict(value))
                continue
            moved = FLAT_SETTINGS.get(name) if not path else None
            if moved:
                raise ZeDOInputError(
                    f'ZeDO setting {name!r} is now {moved} (settings are '
                    f'grouped by stage: see mmzedo.core.ZEDO_DEFAULTS).')
            known = sorted(LOOP_SETTINGS) if overlay else sorted(out)
            raise ZeDOInputError(f'Unknown ZeDO setting {where!r}; known: '
                                 f'{known}.')
        if isinstance(out[name], Mapping):
            if not isinstance(value, Mapping):
                hint = (' (the rule is now choice.rule)'
                        if name == 'choice' and isinstance(value, str) else '')
                raise ZeDOInputError(
                    f'ZeDO setting {where!r} is a group of settings, got '
                    f'{value!r}{hint}.')
            out[name] = _merge(out[name], value, f'{where}.')
        else:
            out[name] = value
    return out


def resolve_zedo_cfg(overrides: Optional[Mapping] = None,
                     defaults: Optional[Mapping] = None) -> dict:
    """``defaults`` (:data:`ZEDO_DEFAULTS`) merged with the nested
    ``overrides`` and checked (:func:`check_zedo_cfg`)."""
    cfg = _merge(ZEDO_DEFAULTS if defaults is None else defaults,
                 overrides or {}, '')
    check_zedo_cfg(cfg)
    return cfg


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v))


def check_loop(name: str, loop: Mapping) -> None:
    """Raise :class:`ZeDOInputError` naming a loop stage's setting that is
    out of range."""

    def bad(key, want):
        raise ZeDOInputError(
            f'ZeDO setting loops.{name}.{key}={loop[key]!r}: {want}.')

    for key in ('steps', 'warmup'):
        if not _is_int(loop[key]) or loop[key] < 0:
            bad(key, 'must be an integer >= 0')
    if not loop['steps']:
        return  # a stage switched off
    t_max, t_min = loop['t_max'], loop['t_min']
    if not (_is_number(t_max) and _is_number(t_min)
            and 0 < t_min <= t_max <= 1):
        raise ZeDOInputError(
            f'ZeDO loop stage {name!r} needs 0 < t_min <= t_max <= 1 '
            f'(diffusion time), got t_min={t_min!r}, t_max={t_max!r}.')
    if not (_is_number(loop['ray_relaxation'])
            and 0 < loop['ray_relaxation'] < 2):
        bad('ray_relaxation', 'must be in (0, 2): 1 projects onto the rays')
    if loop['loop_time'] is not None and not (
            _is_number(loop['loop_time']) and loop['loop_time'] > 0):
        bad('loop_time', 'must be > 0 (or None for the textbook dt)')
    if not isinstance(loop['recentre_root'], bool):
        bad('recentre_root', 'must be True or False')
    if not (_is_number(loop['bone_symmetry'])
            and 0 <= loop['bone_symmetry'] <= 1):
        bad('bone_symmetry', 'must be in [0, 1]: the share of the way to '
            'the mean length of each left/right pair of bones (0: off)')
    get_step_rule(loop['step_rule'])


def check_zedo_cfg(cfg: Mapping) -> None:
    """Raise :class:`ZeDOInputError` naming a setting that is out of range
    (a bad value would otherwise crash deep in torch or silently do
    nothing)."""

    def bad(group, key, want):
        value = cfg[group][key] if group else cfg[key]
        name = f'{group}.{key}' if group else key
        raise ZeDOInputError(f'ZeDO setting {name}={value!r}: {want}.')

    init, valid, choice = cfg['init'], cfg['valid'], cfg['choice']
    if not _is_int(init['steps']) or init['steps'] < 0:
        bad('init', 'steps', 'must be an integer >= 0')
    if not (_is_number(init['lr']) and init['lr'] > 0):
        bad('init', 'lr', 'must be > 0')
    if init['axes'] not in ('x', 'y', 'z', 'xyz'):
        bad('init', 'axes', "must be 'x', 'y', 'z' or 'xyz'")
    if init['depth'] is not None and not (_is_number(init['depth'])
                                          and init['depth'] > 0):
        bad('init', 'depth', 'must be None or a depth > 0 (metres)')
    joints = init['joints']
    if (isinstance(joints, (str, bytes)) or not hasattr(joints, '__len__')
            or not len(joints) or not all(_is_int(j) for j in joints)):
        bad('init', 'joints', 'must be a list of joint indices')
    for group, key in (('init', 'scale_range'), ('valid', 'bone_ratio')):
        pair = cfg[group][key]
        if not (hasattr(pair, '__len__') and len(pair) == 2
                and all(_is_number(v) for v in pair)
                and 0 < pair[0] < pair[1]):
            bad(group, key, 'must be (low, high) with 0 < low < high')
    loops = cfg['loops']
    if not isinstance(loops, Mapping) or not loops:
        raise ZeDOInputError('ZeDO setting loops must name at least one '
                             f'loop stage, got {loops!r}.')
    for name, loop in loops.items():
        check_loop(name, loop)
    if not sum(loop['steps'] for loop in loops.values()):
        steps = [loop['steps'] for loop in loops.values()]
        raise ZeDOInputError('ZeDO loop stages need at least one step in '
                             f'all, got steps {steps}.')
    if not (_is_number(choice['energy_t']) and 0 < choice['energy_t'] <= 1):
        bad('choice', 'energy_t', 'must be in (0, 1]')
    if not (_is_number(choice['prior_weight'])
            and choice['prior_weight'] >= 0):
        bad('choice', 'prior_weight', 'must be >= 0')
    get_choice_rule(choice['rule'])
    if not (_is_number(valid['max_reprojection'])
            and valid['max_reprojection'] > 0):
        bad('valid', 'max_reprojection', 'must be > 0')
    if not _is_int(valid['min_joints']) or valid['min_joints'] < 0:
        bad('valid', 'min_joints', 'must be an integer >= 0')
    if not (_is_number(valid['min_2d_aspect'])
            and 0 <= valid['min_2d_aspect'] < 1):
        bad('valid', 'min_2d_aspect', 'must be in [0, 1)')
    if not (_is_number(valid['max_off_axis'])
            and 0 < valid['max_off_axis'] <= 90):
        bad('valid', 'max_off_axis', 'must be in (0, 90] degrees')
    length = cfg['scale']['bone_length']
    if length is not None and length != 'prior' and not (
            _is_number(length) and 0.05 <= length <= 1.0):
        bad('scale', 'bone_length', "must be None, 'prior' or a mean bone "
            'length in metres (0.05-1; Human3.6M: 0.26)')
    seq = cfg['sequence']
    warm = _merge(loops, seq['warm_loops'], 'loops.')
    for name, loop in warm.items():
        check_loop(f'{name} (warm start)', loop)
    if not (_is_number(seq['anchor_weight'])
            and 0 <= seq['anchor_weight'] < 1):
        bad('sequence', 'anchor_weight', 'must be in [0, 1)')
    jump = seq['restart_jump']
    if jump is not None and not (_is_number(jump) and jump > 0):
        bad('sequence', 'restart_jump',
            'must be a number > 0, or None (never restart)')
    if not _is_int(cfg['root_index']) or cfg['root_index'] < 0:
        bad(None, 'root_index', 'must be a joint index')
    if cfg['translation_solve'] not in ('rays', 'image-plane'):
        bad(None, 'translation_solve', "must be 'rays' or 'image-plane'")
