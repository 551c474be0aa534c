# Copyright (c) mmzedo contributors. All rights reserved.
"""Rules that choose one of ZeDO's S hypotheses (plain torch), registered
beside the step rules (:mod:`mmzedo.core.steps`).

Every rule has the signature ``rule(out, prior) -> Tensor [B, S]``: a score
per hypothesis, the lowest chosen (a costly rule may take keyword options
of its own). ``out`` holds the hypotheses
(``hypotheses`` [B, S, J, 3], ``translations`` [B, S, 3]) and their
``energy``, ``reprojection_error`` (px) and ``score_norm`` [B, S]
(:func:`~mmzedo.core.zedo.score_result`); ``prior`` is the pose prior.

Rules (:data:`CHOICE_RULES`; add one with :func:`register_choice_rule`;
the solver setting ``choice.rule`` names the lifter's):

- ``'energy'`` (default): ZeDO's energy, the reprojection error plus
  ``choice.prior_weight`` times the prior's implausibility;
- ``'reprojection'``: the reprojection error alone;
- ``'implausibility'``: the prior's implausibility alone (the RMS of its
  predicted noise at ``choice.energy_t``);
- ``'consensus'``: the distance to the hypotheses' mean pose;
- ``'likelihood'``: minus the prior's log-likelihood
  (:func:`~mmzedo.core.likelihood.prior_log_likelihood`, exact: minutes
  per thousand hypotheses on a CPU; ``costly``).
"""
from typing import Callable

from torch import Tensor

from .named_rules import NamedRules

ChoiceRule = Callable[[dict, object], Tensor]

#: Name -> choice rule.
CHOICE_RULES = NamedRules('hypothesis choice')
#: Names of the rules that cost far more than the loop (``likelihood``).
COSTLY_CHOICE_RULES = set()


def register_choice_rule(name: str, costly: bool = False):
    """Decorator that adds a choice rule to :data:`CHOICE_RULES`."""
    if costly:
        COSTLY_CHOICE_RULES.add(name)
    return CHOICE_RULES.register(name)


def get_choice_rule(name: str) -> ChoiceRule:
    """The choice rule called ``name``, or a ``ValueError`` naming the known
    ones."""
    return CHOICE_RULES.lookup(name)


@register_choice_rule('energy')
def energy_choice(out: dict, prior) -> Tensor:
    return out['energy']


@register_choice_rule('reprojection')
def reprojection_choice(out: dict, prior) -> Tensor:
    return out['reprojection_error']


@register_choice_rule('implausibility')
def implausibility_choice(out: dict, prior) -> Tensor:
    return out['score_norm']


@register_choice_rule('consensus')
def consensus_choice(out: dict, prior) -> Tensor:
    h = out['hypotheses']
    return (h - h.mean(1, keepdim=True)).norm(dim=-1).mean(-1)


@register_choice_rule('likelihood', costly=True)
def likelihood_choice(out: dict, prior, **options) -> Tensor:
    """``options``: of :func:`prior_log_likelihood` (``t0``, ``steps``)."""
    from .likelihood import prior_log_likelihood
    h = out['hypotheses']
    return -prior_log_likelihood(prior, h.flatten(0, 1),
                                 **options).reshape(h.shape[:2])
