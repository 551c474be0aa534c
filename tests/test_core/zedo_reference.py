# Copyright (c) mmzedo contributors. All rights reserved.
"""Reference outputs of the ZeDO solver and its presets on bundled data.

``python tests/test_core/zedo_reference.py`` writes
``tests/data/zedo_reference.npz``; ``test_zedo_reference.py`` checks that
today's code gives the same outputs. The file was written by the code
before the solver was split into stages, so that the change keeps the
behaviour of the default and of every preset; its ``sequence`` case has
the warm start's loop from t = 0.06 (``sequence.warm_loops.main.t_max``).

Inputs: 6 evenly spaced frames of the bundled CMU c2s test takes, seen by
one Human3.6M-like camera 5 m away (real motion, exact 2D, the capture
rig's joint definitions), the shipped prior trained in those definitions
(``prior_mlp-512x2_subvp-t01_open-cmu.pth``, the default prior when the
file was written) and its S=10 anchors (the first 3). Each case is plain
torch, so it runs wherever torch does.
"""
import os.path as osp

import numpy as np
import torch

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
REFERENCE = osp.join(REPO, 'tests', 'data', 'zedo_reference.npz')
from mmzedo.utils.shipped import anchor_file_for  # noqa: E402

PRIOR = osp.join(REPO, 'checkpoints', 'prior_mlp-512x2_subvp-t01_open-cmu.pth')
ANCHORS = anchor_file_for(PRIOR, 10)
F = (1145.0, 1144.0)
C = (512.0, 515.0)


def reference_inputs(num: int = 6):
    """Camera-frame poses [N, 17, 3], their 2D [N, 17, 2], confidences, f,
    c [N, 2], and anchors [3, 17, 3] (all float32 tensors)."""
    d = np.load(osp.join(REPO, 'data', 'mocap', 'cmu_c2s.npz'))
    joints = d['joints']
    idx = np.linspace(0, len(joints) - 1, num).astype(int)
    pose = torch.tensor(joints[idx] - joints[idx, :1], dtype=torch.float32)
    # Y up (mocap) -> camera frame (Y down), 5 m in front of the camera.
    pose = pose * torch.tensor([1., -1., -1.])
    S = pose + torch.tensor([0.2, 0.1, 5.0])
    f = torch.tensor(F).expand(num, 2).contiguous()
    c = torch.tensor(C).expand(num, 2).contiguous()
    from mmzedo.core import project
    uv = project(S, f, c)
    scores = torch.ones(num, 17)
    scores[1, 13] = 0.  # one unseen wrist
    scores[2] = torch.linspace(0.3, 1.0, 17)
    anchors = torch.tensor(np.load(ANCHORS)['anchors'][:3],
                           dtype=torch.float32)
    return S, uv, scores, f, c, anchors


def reference_outputs() -> dict:
    """Every case's outputs (name -> float64 array)."""
    from mmzedo.core import (PRESETS, ScorePrior, estimate_focal,
                             ray_translation, unit_rays, zedo_lift,
                             zedo_lift_sequence)
    prior = ScorePrior.from_checkpoint(PRIOR)
    S, uv, w, f, c, anchors = reference_inputs()
    out = {}

    def keep(name, res, keys=('pose', 'translation', 'energy')):
        for k in keys:
            v = torch.as_tensor(res[k]).detach()
            out[f'{name}/{k}'] = v.double().cpu().numpy()

    torch.manual_seed(0)
    keep('default', zedo_lift(prior, uv, w, f, c, anchors),
         ('pose', 'translation', 'hypotheses', 'energy', 'choice',
          'bone_ratio', 'valid'))
    keep('10-evaluations',
         zedo_lift(prior, uv, w, f, c, anchors, solver='10-evaluations'))
    keep('paper-budget',
         zedo_lift(prior, uv[:2], w[:2], f[:2], c[:2], anchors[:1],
                   solver='paper-budget'))
    keep('user-settings',
         zedo_lift(prior, uv, w, f, c, anchors,
                   loops=dict(main=dict(steps=20, ray_relaxation=1.3,
                                        step_rule='zedo-relax'),
                              polish=dict(step_rule='zedo-relax')),
                   translation_solve='image-plane'))
    # Refinement (ZeDORefineHook's loop) from a perturbed ground truth.
    start = S - S[:, :1]
    start = start + 0.03 * torch.sin(torch.arange(51.)).reshape(1, 17, 3)
    T = ray_translation(start, unit_rays(uv, f, c), w)
    with torch.no_grad():
        pose, T = PRESETS['refine'].run_loops(prior, start, T, uv, w, f, c)
    keep('refine', dict(pose=pose, translation=T, energy=T[:, 0]))
    # A sequence (warm start): the 6 frames as one track of 3 frames x 2.
    # They are unrelated samples, which the identity-switch restarts would
    # lift in full: the reference holds the warm-started loop itself.
    seq = zedo_lift_sequence(prior, uv.reshape(2, 3, 17, 2),
                             w.reshape(2, 3, 17), f[:2], c[:2], anchors,
                             loops=dict(main=dict(ray_relaxation=1.5)),
                             sequence=dict(restart_jump=None))
    keep('sequence', seq, ('pose', 'translation', 'energy', 'valid'))
    # The focal search with its candidate loop.
    size = torch.tensor([[1000., 1002.]]).expand(6, 2)
    res = estimate_focal(prior, uv, w, size, anchors[:2],
                         groups=torch.tensor([0, 0, 0, 1, 1, 1]),
                         search=dict(focal_num=4))
    keep('focal', res, ('pose', 'translation', 'energy', 'f',
                        'focal_energy'))
    return out


if __name__ == '__main__':
    outs = reference_outputs()
    np.savez_compressed(REFERENCE, **outs)
    print(f'wrote {REFERENCE}: {len(outs)} arrays')
