# Copyright (c) mmzedo contributors. All rights reserved.
"""ZeDO as one solver composed of stages (plain torch).

::

    init    ->  loops (main, polish, ...)  ->  scale ->  choice  ->  valid
    Adam fit    each: its own time schedule,    size      energy,     flags
    of anchors  step rule, ray projection       (opt.)    the rule

A :class:`ZeDOSolver` holds the nested settings of every stage
(:data:`~mmzedo.core.zedo_settings.ZEDO_DEFAULTS` merged with a user's
overrides, checked once), and every caller runs the same object: the
lifter head, the refinement hook (:meth:`ZeDOSolver.refine`), video
(:meth:`ZeDOSolver.warm_start` for the later frames of a track) and the
focal search (its candidate loop). The presets
(:data:`~mmzedo.core.presets.PRESETS`) are instances of it.
"""
from typing import Callable, Dict, Mapping, Optional, Union

import torch
from torch import Tensor

from .camera_geometry import ray_translation, unit_rays
from .choice import get_choice_rule
from .inputs import (ZeDOInputError, as_float_tensor, check_joint_indices,
                     check_zedo_inputs)
from .zedo import (_MEAN_BONE_LENGTH, bone_vectors, initial_pose_optimiser,
                   pose_validity, score_result, zedo_loop)
from .zedo_settings import resolve_zedo_cfg


class ZeDOSolver:
    """The ZeDO solver: the initial-pose fit, the loop stages, the size of
    the results, the choice among hypotheses and the validity check, over
    one nested settings dict.

    Args:
        cfg (dict, optional): Nested overrides of ``base``'s settings (of
            :data:`~mmzedo.core.ZEDO_DEFAULTS` without a ``base``), e.g.
            ``dict(loops=dict(main=dict(steps=20)), init=dict(steps=30))``.
        base (ZeDOSolver, optional): The solver whose settings ``cfg``
            overrides.

    Example:
        >>> solver = ZeDOSolver.build('10-evaluations',
        ...                           valid=dict(min_joints=8))
        >>> out = solver.lift(prior, keypoints, scores, f, c, anchors)
    """

    def __init__(self, cfg: Optional[Mapping] = None,
                 base: Optional['ZeDOSolver'] = None):
        self.cfg = resolve_zedo_cfg(cfg, None if base is None else base.cfg)

    @classmethod
    def build(cls, solver: Union[None, str, Mapping, 'ZeDOSolver'] = None,
              **overrides) -> 'ZeDOSolver':
        """A solver from what a caller or a config gives: ``None`` (the
        default), a preset's name (:data:`~mmzedo.core.presets.PRESETS`), a
        :class:`ZeDOSolver`, or a settings dict whose optional ``preset``
        names the preset it overrides; then ``overrides`` over it."""
        from .presets import PRESETS
        if isinstance(solver, Mapping):
            cfg = dict(solver)
            base = cls.build(cfg.pop('preset', None))
            solver = base.replace(**cfg)
        elif isinstance(solver, str):
            if solver not in PRESETS:
                raise ZeDOInputError(f'Unknown ZeDO preset {solver!r}; '
                                     f'known: {sorted(PRESETS)}.')
            solver = PRESETS[solver]
        elif solver is None:
            solver = PRESETS['default']
        elif not isinstance(solver, ZeDOSolver):
            raise ZeDOInputError(
                'A ZeDO solver (or its preset) must be None, a preset name, '
                f'a settings dict or a ZeDOSolver, got {solver!r} '
                f'({type(solver).__name__}).')
        return solver.replace(**overrides)

    def replace(self, **overrides) -> 'ZeDOSolver':
        """A solver with ``overrides`` of these settings (this one when
        there are none)."""
        return ZeDOSolver(overrides, base=self) if overrides else self

    def warm_start(self) -> 'ZeDOSolver':
        """The solver of a track's later frames: these loops with
        ``sequence.warm_loops`` over them."""
        return self.replace(loops=self.cfg['sequence']['warm_loops'])

    @property
    def root_index(self) -> int:
        return self.cfg['root_index']

    @property
    def loop_steps(self) -> int:
        """Loop steps of all stages (the prior evaluations of the loops)."""
        return sum(loop['steps'] for loop in self.cfg['loops'].values())

    def __repr__(self) -> str:
        loops = ', '.join(f'{k}: {v["steps"]} steps'
                          for k, v in self.cfg['loops'].items())
        return (f'ZeDOSolver(init: {self.cfg["init"]["steps"]} steps; '
                f'{loops}; choice: {self.cfg["choice"]["rule"]})')

    # The stages.
    def fit_initial(self, anchors: Tensor, uv: Tensor, weights: Tensor,
                    f: Tensor, c: Tensor):
        """Stage ``init``: anchors rotated and placed to fit the 2D
        (:func:`~mmzedo.core.zedo.initial_pose_optimiser`)."""
        return initial_pose_optimiser(anchors, uv, weights, f, c,
                                      self.cfg['init'], self.root_index)

    def run_loops(self, prior, pose: Tensor, T: Tensor, uv: Tensor,
                  weights: Tensor, f: Tensor, c: Tensor,
                  solve_translation: bool = True,
                  progress: Optional[Callable[[int], None]] = None):
        """Stage ``loops``: every loop stage in order
        (:func:`~mmzedo.core.zedo.zedo_loop`), then stage ``scale``
        (:meth:`rescale`); ``progress`` is called with the steps done over
        all loop stages."""
        done = 0
        for loop in self.cfg['loops'].values():
            if not loop['steps']:
                continue
            step_progress = None
            if progress is not None:
                step_progress = (lambda i, d=done: progress(d + i))  # noqa
            pose, T = zedo_loop(prior, pose, T, uv, weights, f, c, loop,
                                self.root_index,
                                self.cfg['translation_solve'],
                                solve_translation, step_progress)
            done += loop['steps']
        return self.rescale(pose, T)

    def rescale(self, pose: Tensor, T: Tensor):
        """Stage ``scale``: each pose and its translation scaled together
        (the same 2D) to the mean bone length ``scale.bone_length``; as
        they are where it is None."""
        length = self.cfg['scale']['bone_length']
        if length is None:
            return pose, T
        if length == 'prior':
            length = _MEAN_BONE_LENGTH
        s = length / bone_vectors(pose).norm(dim=-1).mean(-1).clamp(
            min=1e-6)
        return pose * s[:, None, None], T * s[:, None]

    def score(self, prior, pose: Tensor, T: Tensor, uv: Tensor,
              weights: Tensor, f: Tensor, c: Tensor) -> Dict[str, Tensor]:
        """Stages ``choice`` (the energy) and ``valid`` of results [N]
        (:func:`~mmzedo.core.zedo.score_result`)."""
        return score_result(prior, pose, T, uv, weights, f, c,
                            self.cfg['choice'], self.cfg['valid'],
                            self.root_index)

    def validity(self, pose: Tensor, T: Tensor, uv: Tensor, weights: Tensor,
                 f: Tensor, c: Tensor) -> Dict[str, Tensor]:
        """Stage ``valid`` alone (:func:`~mmzedo.core.zedo.pose_validity`).
        """
        return pose_validity(pose, T, uv, weights, f, c, self.cfg['valid'],
                             self.root_index)

    def choose(self, out: dict, prior) -> Tensor:
        """Stage ``choice``: the index [B] of the hypothesis that the rule
        ``choice.rule`` picks from ``out`` [B, S]."""
        return get_choice_rule(self.cfg['choice']['rule'])(out,
                                                           prior).argmin(1)

    def check_inputs(self, prior, keypoints, scores, f, c, anchors):
        """The inputs as float tensors on the prior's device, checked
        (:func:`~mmzedo.core.inputs.check_zedo_inputs`) against each
        other and against these settings' joint indices."""
        device = next(prior.parameters()).device
        keypoints, scores, f, c, anchors = (
            as_float_tensor(v, name).to(device)
            for v, name in ((keypoints, 'keypoints'), (scores, 'scores'),
                            (f, 'f'), (c, 'c'), (anchors, 'anchors')))
        check_zedo_inputs(keypoints, scores, f, c, anchors)
        check_joint_indices(self.cfg, keypoints.shape[1])
        return keypoints, scores, f, c, anchors

    @torch.no_grad()
    def lift(self,
             prior,
             keypoints: Tensor,
             scores: Tensor,
             f: Tensor,
             c: Tensor,
             anchors: Tensor,
             progress: Optional[Callable[[int], None]] = None
             ) -> Dict[str, Tensor]:
        """Lift 2D poses to 3D: all stages, S hypotheses per pose.

        Args:
            prior: The pose prior (``denoise_step`` and ``predicted_noise``).
            keypoints: 2D keypoints [B, J, 2] (pixels).
            scores: Confidences [B, J] (>= 0, not all zero per sample).
            f, c: Focal lengths and principal points [B, 2] (pixels).
            anchors: Initial poses [S, J, 3] (root-relative metres).
            progress: Called with the loop steps done (of
                :attr:`loop_steps`).

        Returns:
            dict: ``pose`` [B, J, 3] (the hypothesis of the choice rule,
            default the lowest energy; root-relative), ``translation``
            [B, 3], ``hypotheses`` [B, S, J, 3], ``translations``
            [B, S, 3], ``energy``, ``reprojection_error`` (px),
            ``score_norm`` [B, S], ``choice`` [B] and the chosen pose's
            validity (``valid``, ``reprojection_rel``, ``bone_ratio``,
            ``depth``, [B]).
        """
        keypoints, scores, f, c, anchors = self.check_inputs(
            prior, keypoints, scores, f, c, anchors)
        b, j = keypoints.shape[:2]
        s = anchors.shape[0]
        rep = (lambda v: v.repeat_interleave(s, dim=0))  # noqa: E731
        uv, w, ff, cc = rep(keypoints), rep(scores), rep(f), rep(c)
        r = self.root_index
        init = (anchors - anchors[:, r:r + 1]).repeat(b, 1, 1)
        pose, T = self.fit_initial(init, uv, w, ff, cc)
        pose, T = self.run_loops(prior, pose, T, uv, w, ff, cc,
                                 progress=progress)
        scored = self.score(prior, pose, T, uv, w, ff, cc)
        out = dict(
            hypotheses=pose.reshape(b, s, j, 3),
            translations=T.reshape(b, s, 3),
            **{k: scored.pop(k).reshape(b, s)
               for k in ('reprojection_error', 'score_norm', 'energy')})
        if not all(torch.isfinite(v).all() for v in out.values()):
            raise FloatingPointError(
                'ZeDO produced NaN/inf; check the inputs (units: pixels and '
                'metres) and the prior.')
        choice = self.choose(out, prior)
        idx = torch.arange(b, device=keypoints.device)
        out.update(
            choice=choice,
            pose=out['hypotheses'][idx, choice],
            translation=out['translations'][idx, choice])
        out.update({k: v.reshape(b, s)[idx, choice]
                    for k, v in scored.items()})
        return out

    @torch.no_grad()
    def refine(self, prior, pose: Tensor, uv: Tensor, weights: Tensor,
               f: Tensor, c: Tensor, solve_rotation: bool = False):
        """Refinement: the loop stages from another lifter's root-relative
        ``pose`` [N, J, 3] (translation from the rays; with
        ``solve_rotation``, the initial-pose fit first), without the choice.

        Returns:
            tuple: refined poses [N, J, 3] (root-relative) and translations
            [N, 3].
        """
        T = ray_translation(pose, unit_rays(uv, f, c), weights)
        if solve_rotation:
            pose, T = self.fit_initial(pose, uv, weights, f, c)
        return self.run_loops(prior, pose, T, uv, weights, f, c)
