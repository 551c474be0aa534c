# Copyright (c) mmzedo contributors. All rights reserved.
import math
import os.path as osp

import numpy as np
import pytest
import torch

from mmzedo.core import (ScoreMLP, ScorePrior, ZeDOInputError, ZeDOSolver,
                         project, project_onto_rays,
                         quaternion_to_matrix, ray_translation, unit_rays,
                         zedo_lift)


@pytest.fixture(scope='module')
def camera_poses(open_benchmark):
    """Camera-frame test poses [N, 17, 3] and their 2D [N, 17, 2] from the
    open benchmark (h36m-like rig), with f, c."""
    root, _ = open_benchmark
    d = np.load(osp.join(root, 'h36m-like', 'annotation_body3d', 'fps10',
                         'cmu_test.npz'))
    idx = np.linspace(0, len(d['S']) - 1, 64).astype(int)
    S = torch.tensor(d['S'][idx, :, :3], dtype=torch.float32)
    uv = torch.tensor(d['part'][idx, :, :2], dtype=torch.float32)
    import pickle
    with open(osp.join(root, 'h36m-like', 'annotation_body3d', 'cameras.pkl'),
              'rb') as fh:
        cams = pickle.load(fh)
    subj, rest = osp.basename(d['imgname'][idx[0]]).split('_', 1)
    cam = cams[(subj, rest.split('.', 1)[1].split('_', 1)[0])]
    n = len(idx)
    f = torch.tensor(cam['f'].reshape(1, 2), dtype=torch.float32).repeat(n, 1)
    c = torch.tensor(cam['c'].reshape(1, 2), dtype=torch.float32).repeat(n, 1)
    # Re-project with that one camera (the samples come from several).
    uv = project(S, f, c)
    return S, uv, f, c


def _rot(axis, deg):
    a = math.radians(deg)
    q = torch.zeros(1, 4)
    q[0, 0] = math.cos(a / 2)
    q[0, 1 + 'xyz'.index(axis)] = math.sin(a / 2)
    return quaternion_to_matrix(q)[0]


def test_quaternion_matches_axis_rotation():
    R = _rot('z', 90)
    torch.testing.assert_close(
        R @ torch.tensor([1., 0., 0.]), torch.tensor([0., 1., 0.]))
    assert torch.allclose(R @ R.T, torch.eye(3), atol=1e-6)


@pytest.mark.parametrize('axis, deg', [('z', 25.), ('y', -40.)])
def test_initial_optimiser_recovers_rotation_and_depth(camera_poses, axis,
                                                       deg):
    S, _, f, c = camera_poses
    pose = S[:8] - S[:8, :1]
    R_true = _rot(axis, deg)
    T_true = torch.tensor([0.3, -0.2, 4.8]).expand(8, 3)
    uv = project(pose @ R_true.T + T_true[:, None], f[:8], c[:8])
    w = torch.ones(8, 17)
    fitted, T = ZeDOSolver(dict(init=dict(
        steps=500, lr=0.1, axes=axis, joints=tuple(range(17))))).fit_initial(
            pose, uv, w, f[:8], c[:8])
    # Adam at lr 0.1 on an L1 loss ends jittering about the optimum: the
    # depth within 3% (2.4% at worst on these poses; the loop then solves
    # T in closed form), the rotation within 1 cm per joint.
    torch.testing.assert_close(T, T_true, atol=0.05, rtol=0.03)
    err = (fitted - pose @ R_true.T).norm(dim=-1).mean()
    assert err < 0.01  # metres


def test_closed_form_translation_matches_numerical_least_squares():
    g = torch.Generator().manual_seed(0)
    n = 4
    pose = torch.randn(n, 17, 3, generator=g, dtype=torch.float64) * 0.3
    rays = torch.randn(n, 17, 3, generator=g, dtype=torch.float64) * 0.1
    rays[..., 2] = 1
    rays = rays / rays.norm(dim=-1, keepdim=True)
    w = torch.rand(n, 17, generator=g, dtype=torch.float64)
    T = ray_translation(pose, rays, w)

    def objective(T):
        x = pose + T[:, None]
        perp = x - (x * rays).sum(-1, keepdim=True) * rays
        return (w * (perp**2).sum(-1)).sum()

    T_num = torch.zeros(n, 3, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([T_num], max_iter=500, tolerance_grad=1e-12,
                            tolerance_change=1e-15,
                            line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        loss = objective(T_num)
        loss.backward()
        return loss

    opt.step(closure)
    torch.testing.assert_close(T, T_num.detach(), atol=1e-6, rtol=1e-6)
    # The weights matter: uniform weights give another answer.
    assert not torch.allclose(
        T, ray_translation(pose, rays, torch.ones_like(w)), atol=1e-4)


def test_ray_projection_zeroes_reprojection_error(camera_poses):
    S, uv, f, c = camera_poses
    wrong = S + torch.randn(S.shape, generator=torch.Generator().manual_seed(
        1)) * 0.1
    assert (project(wrong, f, c) - uv).norm(dim=-1).mean() > 5
    rays = unit_rays(uv, f, c)
    on_rays = project_onto_rays(wrong, rays)
    assert (project(on_rays, f, c) - uv).norm(dim=-1).max() < 1e-2
    # Over-relaxed (1.7 times the way): past the ray, at 0.7 of the
    # distance, on the other side; joints of weight 0 stay put.
    w = torch.ones(S.shape[:2])
    w[:, 5] = 0
    past = project_onto_rays(wrong, rays, w, relaxation=1.7)
    dist = (lambda x: (x - (x * rays).sum(-1, keepdim=True) * rays)  # noqa
            .norm(dim=-1))
    keep = w > 0
    torch.testing.assert_close(dist(past)[keep], 0.7 * dist(wrong)[keep],
                               atol=1e-5, rtol=1e-4)
    assert ((past - on_rays) * (wrong - on_rays)).sum(-1)[keep].lt(0).all()
    torch.testing.assert_close(past[:, 5], wrong[:, 5])


def test_warm_start_turns_the_anchor_to_the_previous_pose(camera_poses):
    from mmzedo.core.sequence import rotation_onto, warm_start_pose
    S = camera_poses[0]
    pose = S[:8] - S[:8, :1]
    # A real pose turned by a known rotation (and mirrored: Kabsch must
    # still return a proper rotation) is turned back exactly.
    R_true = _rot('y', -70.) @ _rot('z', 30.)
    R = rotation_onto(pose, pose @ R_true.T)
    torch.testing.assert_close(R, R_true.expand(8, 3, 3), atol=1e-4,
                               rtol=1e-4)
    mirrored = pose * torch.tensor([-1., 1., 1.])
    assert torch.allclose(torch.linalg.det(rotation_onto(pose, mirrored)),
                          torch.ones(8), atol=1e-5)
    # The start is the blend of the previous pose and the turned anchor:
    # with the anchor = previous pose turned away, it is the previous pose.
    anchor = pose[:1].expand(8, 17, 3) @ _rot('y', 90.).T
    torch.testing.assert_close(
        warm_start_pose(pose[:1].expand(8, 17, 3), anchor, 0.3),
        pose[:1].expand(8, 17, 3), atol=1e-4, rtol=1e-4)
    other = pose[1:2].expand(8, 17, 3)
    start = warm_start_pose(other, anchor, 0.3)
    turned = anchor @ rotation_onto(anchor, other).transpose(1, 2)
    torch.testing.assert_close(start, 0.7 * other + 0.3 * turned)
    assert warm_start_pose(other, anchor, 0.0) is other


@pytest.fixture(scope='module')
def tiny_prior():
    return ScorePrior(ScoreMLP(hidden_dim=64, temb_dim=32)).eval()


def _inputs(camera_poses, n=2):
    S, uv, f, c = camera_poses
    return dict(
        keypoints=uv[:n].clone(),
        scores=torch.ones(n, 17),
        f=f[:n].clone(),
        c=c[:n].clone(),
        anchors=(S[:3] - S[:3, :1]).clone())


@pytest.mark.parametrize('case, message', [
    ('joints', 'Expected 17 2D joints'),
    ('nan', 'NaN'),
    ('zero_conf', 'All keypoint confidences are zero'),
    ('focal', 'focal lengths must be > 0'),
    ('missing_c', 'must have shape'),
    ('anchors', 'Anchor poses must have shape'),
])
def test_bad_inputs_raise_clear_errors(camera_poses, tiny_prior, case,
                                       message):
    x = _inputs(camera_poses)
    if case == 'joints':
        x['keypoints'] = x['keypoints'][:, :16]
        x['scores'] = x['scores'][:, :16]
    elif case == 'nan':
        x['keypoints'][1, 5, 0] = float('nan')
    elif case == 'zero_conf':
        x['scores'][0] = 0
    elif case == 'focal':
        x['f'][0, 0] = 0
    elif case == 'missing_c':
        x['c'] = x['c'][:, :1]
    elif case == 'anchors':
        x['anchors'] = x['anchors'][:, :15]
    with pytest.raises(ZeDOInputError, match=message):
        zedo_lift(tiny_prior, **x, init=dict(steps=2),
                  loops=dict(main=dict(steps=2)))


def test_lift_outputs_shapes_and_no_nan(camera_poses, tiny_prior):
    x = _inputs(camera_poses)
    out = zedo_lift(tiny_prior, **x, init=dict(steps=20),
                    loops=dict(main=dict(steps=20, warmup=5)))
    assert out['hypotheses'].shape == (2, 3, 17, 3)
    assert out['pose'].shape == (2, 17, 3)
    assert out['energy'].shape == (2, 3)
    for v in out.values():
        assert torch.isfinite(v.float()).all()
    torch.testing.assert_close(
        out['pose'], out['hypotheses'][torch.arange(2), out['choice']])
    with pytest.raises(ZeDOInputError, match="Unknown ZeDO setting 'stepz'"):
        zedo_lift(tiny_prior, **x, stepz=3)


def test_solver_stages_presets_and_overrides(camera_poses, tiny_prior):
    """Presets are solver instances; a config's ``preset`` and nested
    overrides merge stage by stage; the warm start keeps a user's loop
    settings but its own budget; every loop stage runs, in order."""
    from mmzedo.core import PRESETS, ZEDO_DEFAULTS
    solver = ZeDOSolver.build(dict(preset='paper-budget',
                                   valid=dict(min_joints=8)))
    assert solver.cfg['init']['steps'] == 500
    assert solver.cfg['loops']['main']['steps'] == 1000
    assert solver.cfg['loops']['polish']['steps'] == 0
    assert solver.cfg['valid']['min_joints'] == 8
    assert solver.cfg['valid']['max_reprojection'] == \
        ZEDO_DEFAULTS['valid']['max_reprojection']
    assert all(isinstance(p, ZeDOSolver) for p in PRESETS.values())
    user = ZeDOSolver(dict(loops=dict(main=dict(ray_relaxation=1.3))))
    warm = user.warm_start()
    assert warm.cfg['loops']['main']['ray_relaxation'] == 1.3
    assert warm.cfg['loops']['main']['steps'] == 35
    assert warm.cfg['loops']['polish']['steps'] == 0
    assert PRESETS['warm-start'].cfg['loops']['main']['ray_relaxation'] == 1.7
    # A third loop stage, and progress over all of them.
    extra = dict(ZEDO_DEFAULTS['loops']['polish'], steps=3)
    three = ZeDOSolver(dict(init=dict(steps=2), loops=dict(
        main=dict(steps=4), polish=dict(steps=2), extra=extra)))
    assert list(three.cfg['loops']) == ['main', 'polish', 'extra']
    done = []
    three.lift(tiny_prior, **_inputs(camera_poses), progress=done.append)
    assert done == list(range(1, three.loop_steps + 1)) and done[-1] == 9
    with pytest.raises(ZeDOInputError, match='Unknown ZeDO preset'):
        ZeDOSolver.build('paper')


def _pair_asymmetry(pose):
    """Mean relative left/right bone-length asymmetry of poses (the prior
    quality metric's ``asym``)."""
    from mmzedo.evaluation.metrics.prior_quality_metric import \
        bone_statistics
    return bone_statistics(pose.numpy())['asym']


def test_bone_symmetry_draws_mirrored_bones_together(camera_poses,
                                                     shipped_prior):
    """``loops.<stage>.bone_symmetry``: each left/right pair of bones
    drawn that share of the way to the pair's mean length (directions, the
    spine and head, and the root kept); in the loop it makes the lifted
    skeletons of real 2D more symmetric, and a user's setting reaches the
    warm start of video."""
    from mmzedo.core import with_bone_lengths
    from mmzedo.core.anchors import load_anchors
    from mmzedo.core.zedo import bone_vectors, symmetrise_bones
    from mmzedo.utils.shipped import ANCHOR_FILES
    from mmzedo.utils.skeleton import FLIP_INDICES
    S, uv, f, c = camera_poses
    lengths = bone_vectors(S[:16]).norm(dim=-1)
    # The bones ending at the left joints (4-6, 11-13) 30% longer.
    lengths[:, [3, 4, 5, 10, 11, 12]] *= 1.3
    lopsided = with_bone_lengths(S[:16], lengths)
    assert _pair_asymmetry(lopsided) > 0.25  # 0.3 / 1.15 for each pair
    torch.testing.assert_close(symmetrise_bones(lopsided, 0.), lopsided)
    half, full = (symmetrise_bones(lopsided, w) for w in (0.5, 1.))
    assert _pair_asymmetry(half) == pytest.approx(
        _pair_asymmetry(lopsided) / 2, rel=1e-4)
    new = bone_vectors(full).norm(dim=-1)
    mirrored = lengths[:, (FLIP_INDICES[1:] - 1).tolist()]
    # Each bone at its pair's mean length; the spine and head's unchanged.
    torch.testing.assert_close(new, (lengths + mirrored) / 2)
    torch.testing.assert_close(new[:, 6:10], lengths[:, 6:10])
    torch.testing.assert_close(full[:, 0], lopsided[:, 0])
    unit = torch.nn.functional.normalize
    torch.testing.assert_close(unit(bone_vectors(full), dim=-1),
                               unit(bone_vectors(lopsided), dim=-1))

    anchors = torch.as_tensor(
        load_anchors(ANCHOR_FILES.format(1))['anchors'][:1])
    scores = torch.ones(uv.shape[:2])
    out = {w: ZeDOSolver(dict(loops=dict(
        main=dict(bone_symmetry=w), polish=dict(bone_symmetry=w)))).lift(
            shipped_prior, uv, scores, f, c, anchors) for w in (0., 1.)}
    assert out[1.]['valid'].all() and torch.isfinite(out[1.]['pose']).all()
    assert _pair_asymmetry(out[1.]['pose']) < \
        0.6 * _pair_asymmetry(out[0.]['pose'])
    warm = ZeDOSolver(dict(loops=dict(main=dict(bone_symmetry=0.3))))
    assert warm.warm_start().cfg['loops']['main']['bone_symmetry'] == 0.3
