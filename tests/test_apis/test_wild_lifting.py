# Copyright (c) mmzedo contributors. All rights reserved.
"""In-the-wild lifting (demo/zedo_lift_demo.py, mmzedo.apis.wild_lifting,
the focal search and the warm-started sequences) on real inputs: the
Human3.6M and COCO fixtures, and open-benchmark test motion."""
import json
import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from mmzedo.utils import H36M_BONE_LENGTHS, LEFT_RIGHT_BONES, bone_lengths

from ..conftest import REPO_ROOT, anchor_file, run_tool

FIXTURES = osp.join(REPO_ROOT, 'tests', 'data', 'mmpose-fixtures')
DEMO = osp.join(REPO_ROOT, 'demo', 'zedo_lift_demo.py')


def _h36m_cameras(tmp_path):
    """The fixture frames' real cameras as a camera JSON keyed by image."""
    with open(osp.join(FIXTURES, 'h36m', 'cameras.pkl'), 'rb') as f:
        cams = pickle.load(f)
    with open(osp.join(FIXTURES, 'h36m', 'h36m_coco.json')) as f:
        images = json.load(f)['images']
    out = {}
    for im in images:
        name = im['file_name']  # S1_Directions_1.54138969_000001.jpg
        cam = cams[(name.split('_')[0], name.split('.')[1].split('_')[0])]
        out[name] = dict(f=np.ravel(cam['f']).tolist(),
                         c=np.ravel(cam['c']).tolist())
    path = tmp_path / 'cameras.json'
    path.write_text(json.dumps(out))
    return str(path), out


def _h36m_mpjpe(pred_json):
    gt = np.load(osp.join(FIXTURES, 'h36m', 'test_h36m_body3d.npz'))
    names = [n.split('/')[-1] for n in gt['imgname']]
    with open(pred_json) as f:
        pred = json.load(f)
    errs = []
    for im in pred['images']:
        S = gt['S'][names.index(im['image'])][:, :3]
        k = np.array(im['people'][0]['keypoints_3d'])
        errs.append(np.linalg.norm((k - k[:1]) - (S - S[:1]), axis=-1).mean())
    return 1000 * float(np.mean(errs)), pred


def test_h36m_frames_with_known_and_withheld_cameras(tmp_path):
    cam_json, cams = _h36m_cameras(tmp_path)
    args = [
        DEMO,
        osp.join(FIXTURES, 'h36m', 'h36m_coco.json'), '--img-dir',
        osp.join(FIXTURES, 'h36m', 'images'), '--no-progress'
    ]
    run_tool(args + ['--camera-json', cam_json, '--out-dir',
                     str(tmp_path / 'known')], cwd=REPO_ROOT)
    known, pred = _h36m_mpjpe(tmp_path / 'known' / 'predictions.json')
    for im in pred['images']:
        assert im['intrinsics'] == 'given'
        assert im['focal_length'] == pytest.approx(cams[im['image']]['f'])
        p = im['people'][0]
        assert p['valid'] and len(p['keypoints_3d']) == 17
        # keypoints_3d are camera-frame: in front of the camera, and they
        # reproject onto the 2D used
        k = np.array(p['keypoints_3d'])
        uv = k[:, :2] / k[:, 2:] * im['focal_length'] + im['principal_point']
        assert (k[:, 2] > 1).all()
        assert np.abs(uv - np.array(p['keypoints_2d'])).mean() < 15
    # 4 real Human3.6M frames, prior trained on CMU motion only
    assert known < 160, known
    proc = run_tool(args + ['--out-dir', str(tmp_path / 'estimated')],
                    cwd=REPO_ROOT)
    assert 'estimated focal length' in proc.stdout
    estimated, pred = _h36m_mpjpe(tmp_path / 'estimated' / 'predictions.json')
    for im in pred['images']:
        assert im['intrinsics'] == 'estimated'
        assert im['principal_point'] == [im['width'] / 2, im['height'] / 2]
        assert 300 < im['focal_length'][0] < 5000
    # measured: 102.8 vs 87.5 mm (single people ~5 m away barely pin f down:
    # the focal lengths come out 44-84% of the true 1145-1150 px)
    assert estimated < 1.25 * known, (estimated, known)
    assert (tmp_path / 'estimated' / 'vis').is_dir()


def test_a_known_height_sets_the_size_and_keeps_the_2d(tmp_path):
    """``--height``: every lifted skeleton has the mean bone length of a
    person that tall, and projects to the same 2D as without it (size and
    depth scaled together)."""
    from mmzedo.utils import height_to_bone_length
    outs = {}
    for name, extra in (('free', []), ('tall', ['--height', '1.9'])):
        run_tool([DEMO, osp.join(FIXTURES, 'h36m', 'h36m_coco.json'),
                  '--img-dir', osp.join(FIXTURES, 'h36m', 'images'),
                  '--out-dir', str(tmp_path / name), '--no-progress',
                  '--max-pictures', '0'] + extra, cwd=REPO_ROOT)
        with open(tmp_path / name / 'predictions.json') as f:
            outs[name] = [(im, p) for im in json.load(f)['images']
                          for p in im['people']]
    assert len(outs['tall']) == 4
    want = height_to_bone_length(1.9)
    for (im, p), (_, q) in zip(outs['tall'], outs['free']):
        k, k0 = np.array(p['keypoints_3d']), np.array(q['keypoints_3d'])
        assert p['valid'] and q['valid']
        assert abs(bone_lengths(k - k[:1]).mean() - want) < 1e-4
        assert abs(bone_lengths(k0 - k0[:1]).mean() - want) > 0.01
        f = np.array(im['focal_length'])
        c = np.array(im['principal_point'])
        uv = (lambda x: f * x[:, :2] / x[:, 2:] + c)  # noqa: E731
        np.testing.assert_allclose(uv(k), uv(k0), atol=1e-2)  # pixels


def test_coco_people_get_plausible_3d_or_a_clear_reason(tmp_path):
    proc = run_tool([
        DEMO,
        osp.join(FIXTURES, 'coco', 'test_coco.json'), '--img-dir',
        osp.join(FIXTURES, 'coco'), '--out-dir',
        str(tmp_path), '--no-progress'
    ], cwd=REPO_ROOT)
    with open(tmp_path / 'predictions.json') as f:
        pred = json.load(f)
    people = [p for im in pred['images'] for p in im['people']]
    assert len(people) == 14
    lifted = [p for p in people if p['skipped'] is None]
    skipped = [p for p in people if p['skipped'] is not None]
    assert len(lifted) >= 10 and skipped
    for p in skipped:
        assert not p['valid'] and 'keypoints_3d' not in p
        assert 'joints' in p['skipped'] or 'hips' in p['skipped']
        assert f'person {p["index"]}: skipped' in proc.stdout
    for p in lifted:
        k = np.array(p['keypoints_3d'])
        assert np.isfinite(k).all() and (k[:, 2] > 0).all()
        assert p['valid'], p
        bones = bone_lengths(k - k[:1])
        ratio = bones / H36M_BONE_LENGTHS[1:]
        assert 0.6 < np.median(ratio) < 1.6, ratio
        # left/right symmetric: ZeDO's GT-2D results on the open benchmark
        # have a median worst-pair asymmetry of 0.03 (90% < 0.09), its
        # detector-like-2D results 0.10 (90% < 0.27)
        asym = [abs(bones[a - 1] - bones[b - 1]) / (bones[a - 1] +
                                                    bones[b - 1])
                for a, b in LEFT_RIGHT_BONES]
        assert np.mean(asym) < 0.1 and max(asym) < 0.3, asym
    # missing joints have confidence 0 (COCO v=0 -> confidence 0)
    assert any(min(p['keypoint_scores']) == 0 for p in lifted)
    for im in pred['images']:
        assert im['intrinsics'] == 'estimated' and im['focal_length']
        assert (tmp_path / 'vis' /
                (osp.splitext(im['image'])[0] + '.jpg')).is_file()
    assert pred['summary']['lifted'] == len(lifted)


def test_focal_search_on_a_wide_rig(open_benchmark, shipped_prior):
    """Phone-wide rig (f = 1480-1520 px on 1920x1080) with K withheld:
    the focal length pooled over one camera's frames is found to within
    15%, and MPJPE stays within 10% of the known-K result."""
    from mmzedo.analysis import load_test_split

    from mmzedo.core import zedo_lift
    from mmzedo.core.anchors import load_anchors
    from mmzedo.core.focal_search import estimate_focal
    root, _ = open_benchmark
    kp, conf, f, c, gt = load_test_split('phone-wide', False, 48, root)
    anchors = load_anchors(anchor_file(1))['anchors']
    with torch.no_grad():
        known = zedo_lift(shipped_prior, kp, conf, f, c, anchors)['pose']
        size = np.tile([1920., 1080.], (len(kp), 1))
        out = estimate_focal(shipped_prior, kp, conf, size, anchors,
                             groups=np.zeros(len(kp)))
    rel = out['f'][0, 0].item() / f[:, 0].mean() - 1
    assert abs(rel) < 0.15, rel
    err = (lambda p: np.linalg.norm(p.numpy() - gt, axis=-1).mean())  # noqa
    assert err(out['pose']) < 1.1 * err(known)
    assert out['focal_energy'].shape == (12, len(kp))
    # Choosing only (the pipeline's intrinsics stage): the same focal
    # length, no poses.
    with torch.no_grad():
        chosen = estimate_focal(shipped_prior, kp, conf, size, anchors,
                                groups=np.zeros(len(kp)), lift=False)
    assert 'pose' not in chosen
    torch.testing.assert_close(chosen['f'], out['f'])
    torch.testing.assert_close(chosen['focal_at_edge'], out['focal_at_edge'])


def test_warm_started_sequences_are_smoother_and_cheaper(
        open_benchmark, shipped_prior):
    from mmzedo.analysis import acceleration, test_sequences

    from mmzedo.core import zedo_lift
    from mmzedo.core.anchors import load_anchors
    from mmzedo.core.sequence import zedo_lift_sequence
    root, _ = open_benchmark
    kp, conf, f, c, gt = test_sequences('h36m-like', False, 12, 48, root)
    n, length = kp.shape[:2]
    anchors = load_anchors(anchor_file(1))['anchors']
    calls = []  # poses evaluated by the prior, summed over calls
    hook = shipped_prior.score_net.register_forward_hook(
        lambda mod, args, out: calls.append(len(args[0])))
    with torch.no_grad():
        per = zedo_lift(shipped_prior, kp.reshape(-1, 17, 2),
                        conf.reshape(-1, 17), np.repeat(f, length, 0),
                        np.repeat(c, length, 0), anchors)
        per_calls = sum(calls)
        warm = zedo_lift_sequence(shipped_prior, kp, conf, f, c, anchors)
        warm_calls = sum(calls) - per_calls
        # started from the previous pose alone (no pull to the anchor)
        alone = zedo_lift_sequence(shipped_prior, kp, conf, f, c, anchors,
                                   sequence=dict(anchor_weight=0))['pose']
    hook.remove()
    per = per['pose'].numpy().reshape(n, length, 17, 3)
    warm_pose = warm['pose'].numpy()
    # per frame: 39 + 10 loop steps + the energy for every frame; warm
    # start: that for the first frame, 35 + 1 for the others
    assert warm_calls < 0.8 * per_calls, (warm_calls, per_calls)
    mpjpe = (lambda p: 1000 * np.linalg.norm(p - gt, axis=-1).mean())  # noqa
    # measured here (48 runs of 12 frames): 46.8 vs 46.0 mm (previous pose
    # alone: 47.2), acceleration 26.5 vs 28.3 (docs/in_the_wild.md: 120 x
    # 16 frames, within 2 mm of per-frame lifting on every row)
    errors = (mpjpe(warm_pose), mpjpe(per), mpjpe(alone.numpy()))
    assert errors[0] <= errors[1] + 1.5, errors
    assert errors[0] < errors[2], errors
    assert acceleration(warm_pose) < 0.95 * acceleration(per)
    assert warm['valid'].all()


def test_sequence_settings_reach_every_frame(open_benchmark, shipped_prior):
    """A user's settings reach the warm-started frames, not only the first:
    a validity threshold (every frame flagged), and a loop setting (the
    main loop's ray projection: the later frames move too). Through the
    solver and through the CLI's video path (``lift_pose2d`` on tracked
    frames), where the later frames once ran on the import-time defaults."""
    from mmzedo.analysis import test_sequences

    from mmzedo.apis.pose2d_inputs import _instance
    from mmzedo.apis.wild_frames import WildFrames, frame_sample
    from mmzedo.apis.wild_lifting import lift_pose2d, parse_camera
    from mmzedo.core.anchors import load_anchors
    from mmzedo.core.sequence import zedo_lift_sequence
    root, _ = open_benchmark
    kp, conf, f, c, gt = test_sequences('h36m-like', False, 3, 4, root)
    anchors = load_anchors(anchor_file(1))['anchors']
    strict = dict(valid=dict(max_reprojection=1e-9))
    plain = dict(loops=dict(main=dict(ray_relaxation=1.0)))
    with torch.no_grad():
        default = zedo_lift_sequence(shipped_prior, kp, conf, f, c,
                                     anchors)
        out = zedo_lift_sequence(shipped_prior, kp, conf, f, c, anchors,
                                 **strict)
        moved = zedo_lift_sequence(shipped_prior, kp, conf, f, c, anchors,
                                   solver=plain)
    assert not out['valid'].any(), out['valid']
    assert default['valid'].all()
    torch.testing.assert_close(out['pose'], default['pose'])
    later = (moved['pose'] - default['pose'])[:, 1:].norm(dim=-1).mean()
    assert later > 1e-3, later  # metres

    # The CLI's video path: one track of 3 frames, known intrinsics.
    def video():
        samples = [frame_sample(f'frame_{t}.jpg', 1000, 1002, t, [_instance(
            'test', 'person', kp[0, t], conf[0, t])])
            for t in range(kp.shape[1])]
        return WildFrames(samples, 'h36m', True)

    camera = {None: parse_camera(dict(f=f[0].tolist(), c=c[0].tolist()),
                                 'test camera')}
    runs = {}
    for name, cfg in (('default', None), ('strict', strict),
                      ('plain', plain)):
        res = lift_pose2d(video(), shipped_prior, anchors, cameras=camera,
                          zedo_cfg=cfg, progress=False)
        runs[name] = [fr.pred_instances for fr in res.samples]
    assert all(inst.valid[0] for inst in runs['default'])
    assert not any(inst.valid[0] for inst in runs['strict'])
    for t in (1, 2):
        a, b = (runs[n][t].keypoints_3d[0] for n in ('default', 'plain'))
        assert np.linalg.norm(a - b, axis=-1).mean() > 1e-3, t


def test_identity_switches_restart_the_track(open_benchmark, shipped_prior):
    """A tracker that swaps two people mid-run: the switch frame is lifted
    in full again (not warm-started from the other person's pose), which
    lowers the error after it; clean runs are not restarted."""
    import sys
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis'))
    from identity_switch_benchmark import NO_RESTART, switch_tracks
    from mmzedo.analysis import test_sequences

    from mmzedo.core import ZeDOInputError
    from mmzedo.core.anchors import load_anchors
    from mmzedo.core.sequence import zedo_lift_sequence
    root, _ = open_benchmark
    kp, conf, f, c, gt = test_sequences('h36m-like', False, 8, 24, root)
    skp, sconf, sgt, keep = switch_tracks(kp, conf, f, gt, 4)
    assert len(keep) >= 12
    anchors = load_anchors(anchor_file(1))['anchors']
    with torch.no_grad():
        clean = zedo_lift_sequence(shipped_prior, kp, conf, f, c, anchors)
        on = zedo_lift_sequence(shipped_prior, skp, sconf, f[keep],
                                c[keep], anchors)
        off = zedo_lift_sequence(shipped_prior, skp, sconf, f[keep],
                                 c[keep], anchors, solver=NO_RESTART)
    assert not clean['restarted'].any()
    restarted = on['restarted'].numpy()
    assert restarted[:, 4].mean() >= 0.8  # the switch frame
    assert restarted[:, 5:].sum() + restarted[:, :4].sum() <= 1
    assert not off['restarted'].any()
    mpjpe = (lambda p: 1000 * np.linalg.norm(  # noqa: E731
        p[:, 4:] - sgt[:, 4:], axis=-1).mean())
    assert mpjpe(on['pose'].numpy()) < mpjpe(off['pose'].numpy()) - 2
    with pytest.raises(ZeDOInputError, match='restart_jump'):
        zedo_lift_sequence(shipped_prior, kp[:1, :2], conf[:1, :2], f[:1],
                           c[:1], anchors, sequence=dict(restart_jump=0))


def test_sequence_offsets_stay_apart_from_the_reported_runs(open_benchmark):
    from mmzedo.analysis import test_sequences
    root, _ = open_benchmark
    reported = test_sequences('h36m-like', False, 12, 12, root)[0]
    tuning = test_sequences('h36m-like', False, 12, 12, root, [1, 2])[0]
    assert tuning.shape == (24, 12, 17, 2)
    first = {r[0].tobytes() for r in reported}
    assert not first & {r[0].tobytes() for r in tuning}
    # With every run taken, any offset > 0 would overlap: it is skipped.
    every = test_sequences('h36m-like', False, 12, 10**6, root, [0, 1])[0]
    np.testing.assert_array_equal(
        every, test_sequences('h36m-like', False, 12, 10**6, root)[0])
    with pytest.raises(SystemExit, match='no runs'):
        test_sequences('h36m-like', False, 12, 10**6, root, [1])


def test_video_predictions_through_the_demo(open_benchmark, tmp_path):
    """An inferencer video file (frame-ordered people) made from an
    open-benchmark test sequence: tracked, warm-started, contact sheet."""
    from mmzedo.analysis import test_sequences
    root, _ = open_benchmark
    kp, conf, f, c, gt = test_sequences('h36m-like', False, 10, 1, root)
    frames = [
        dict(frame_id=t, instances=[dict(keypoints=kp[0, t].tolist(),
                                         keypoint_scores=conf[0, t].tolist())])
        for t in range(kp.shape[1])
    ]
    video = tmp_path / 'clip.json'
    video.write_text(json.dumps(frames))
    proc = run_tool([
        DEMO, str(video), '--layout', 'h36m', '--focal', *map(str, f[0]),
        '--center', *map(str, c[0]), '--out-dir',
        str(tmp_path / 'out'), '--no-progress'
    ], cwd=REPO_ROOT)
    with open(tmp_path / 'out' / 'predictions.json') as fh:
        pred = json.load(fh)
    assert pred['sequence'] and len(pred['images']) == 10
    assert {im['people'][0]['track_id'] for im in pred['images']} == {0}
    k = np.array([im['people'][0]['keypoints_3d'] for im in pred['images']])
    k = k - k[:, :1]
    assert 1000 * np.linalg.norm(k - gt[0], axis=-1).mean() < 120
    assert (tmp_path / 'out' / 'contact_sheet.jpg').is_file()
    assert 'predictions:' in proc.stdout
