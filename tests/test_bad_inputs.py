# Copyright (c) mmzedo contributors. All rights reserved.
"""What bad input gets: the project's bad-input suite.

Each case is an input a careless user could give a public entry point
(the converter, build_anchors, anchor and prior files, ZeDO's settings and
inputs, the lifter, the refine hook, the in-the-wild demo). Every case
asserts a clear error that names the problem (and the file, where there is
one), or a result that is flagged invalid; none may crash deep inside a
library or give silent bad output, and no input file is ever changed.
"""
import json
import os
import os.path as osp
import pickle

import numpy as np
import pytest
import torch

from mmzedo.core import ScorePrior, ZeDOInputError, zedo_lift
from mmzedo.core.anchors import load_anchors, save_anchors

from .conftest import MOCAP_DIR, REPO_ROOT, SHIPPED_PRIOR, anchor_file

CONVERTER = osp.join(REPO_ROOT, 'tools', 'dataset_converters',
                     'mocap_to_h36m.py')
FIXTURES = osp.join(REPO_ROOT, 'tests', 'data', 'mmpose-fixtures')


def _sha(path):
    import hashlib
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def _tree(root):
    return sorted(
        osp.relpath(osp.join(d, f), root) for d, _, fs in os.walk(root)
        for f in fs)


# ---------------------------------------------------------------- data ----
@pytest.fixture(scope='module')
def small_mocap(tmp_path_factory):
    """Two short real CMU sequences (one train, one test) as a mocap file."""
    d = np.load(osp.join(MOCAP_DIR, 'cmu_c2s.npz'))
    lengths = d['seq_lengths'][:2]
    path = tmp_path_factory.mktemp('mocap') / 'small.npz'
    np.savez(path, joints=d['joints'][:lengths.sum()], seq_lengths=lengths,
             seq_names=np.array(['walk_a', 'walk_b']),
             seq_groups=np.array(['train', 'test']), fps=d['fps'])
    return str(path)


def _tool(path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        osp.splitext(osp.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _convert(args):
    _tool(CONVERTER).main([str(a) for a in args])


def _converter_args(mocap, out, *extra):
    return [mocap, '--out-dir', out, '--name', 'x', '--test-groups', 'test',
            '--fps', '10', *extra]


def test_converter_never_overwrites_its_input(small_mocap, tmp_path):
    out = tmp_path / 'root'
    target = out / 'annotation_body3d' / 'fps10' / 'x_train.npz'
    target.parent.mkdir(parents=True)
    target.write_bytes(open(small_mocap, 'rb').read())
    before = _sha(target)
    with pytest.raises(SystemExit, match='Refusing to overwrite the input'):
        _convert(_converter_args(target, out))
    assert _sha(target) == before
    assert _tree(out) == ['annotation_body3d/fps10/x_train.npz']


def test_converter_z_up_motion_capture(small_mocap, tmp_path):
    """Z-up motion capture is named (the people would come out lying
    down) and converted with --up-axis z into what the Y-up file gives."""
    d = dict(np.load(small_mocap))
    zup = tmp_path / 'zup.npz'
    y_to_z = np.array([[1., 0., 0.], [0., 0., -1.], [0., 1., 0.]])
    np.savez(zup, **dict(d, joints=d['joints'] @ y_to_z.T))
    before = _sha(zup)
    with pytest.raises(SystemExit, match='must be Y-up.*looks like \\+z.*'
                       '--up-axis z'):
        _convert(_converter_args(zup, tmp_path / 'a'))
    assert not (tmp_path / 'a').exists() and _sha(zup) == before
    _convert(_converter_args(zup, tmp_path / 'a', '--up-axis', 'z'))
    _convert(_converter_args(small_mocap, tmp_path / 'b'))
    ann = 'annotation_body3d/fps10/x_train.npz'
    np.testing.assert_allclose(np.load(tmp_path / 'a' / ann)['S'],
                               np.load(tmp_path / 'b' / ann)['S'], atol=1e-6)


def test_converter_same_input_twice(small_mocap, tmp_path):
    copy = tmp_path / 'copy.npz'
    copy.write_bytes(open(small_mocap, 'rb').read())
    for second in (small_mocap, copy):
        with pytest.raises(SystemExit, match='same motion as .*small.npz.*'
                           'given twice'):
            _convert([small_mocap, second, '--out-dir', tmp_path / 'o',
                      '--name', 'x', '--test-groups', 'test'])
        assert not (tmp_path / 'o').exists()


def test_converter_input_linked_from_an_output_path(small_mocap, tmp_path):
    out = tmp_path / 'root'
    link = out / 'annotation_body3d' / 'fps10' / 'x_test.npz'
    link.parent.mkdir(parents=True)
    os.symlink(small_mocap, link)
    before = _sha(small_mocap)
    with pytest.raises(SystemExit, match='Refusing to overwrite'):
        _convert(_converter_args(small_mocap, out))
    assert _sha(small_mocap) == before


@pytest.mark.parametrize('name', ['../escape', 'a/b', '', '.hidden', '..'])
def test_converter_refuses_names_that_escape(small_mocap, tmp_path, name):
    out = tmp_path / 'root'
    args = _converter_args(small_mocap, out)
    args[args.index('--name') + 1] = name
    with pytest.raises(SystemExit, match='plain file-name stem'):
        _convert(args)
    assert not out.exists() and _tree(tmp_path) == []


@pytest.mark.parametrize('fps', ['0', '-30', 'nan', 'inf'])
def test_converter_fps_option(small_mocap, tmp_path, fps):
    args = _converter_args(small_mocap, tmp_path / 'root')
    args[args.index('--fps') + 1] = fps
    with pytest.raises(SystemExit, match='fps must be finite'):
        _convert(args)
    assert not (tmp_path / 'root').exists()


@pytest.mark.parametrize('fps', [0., np.nan, -5., np.array([30., 60.])])
def test_converter_fps_in_the_file(small_mocap, tmp_path, fps):
    d = dict(np.load(small_mocap))
    d['fps'] = fps
    bad = tmp_path / 'bad_fps.npz'
    np.savez(bad, **d)
    with pytest.raises(SystemExit, match='bad_fps.npz: fps must be finite'):
        _convert(_converter_args(bad, tmp_path / 'root'))


@pytest.mark.parametrize('option, value, match', [
    ('--body-scale-std', '-1', 'body_scale_std'),
    ('--det-noise-scale', 'nan', 'det_noise_scale'),
    ('--area', '0', 'area'),
])
def test_converter_numeric_options(small_mocap, tmp_path, option, value,
                                   match):
    extra = [option, value] + (['1'] if option == '--area' else [])
    with pytest.raises(SystemExit, match=match):
        _convert(_converter_args(small_mocap, tmp_path / 'root', *extra))


def test_converter_keeps_earlier_cameras_and_refuses_conflicts(
        small_mocap, tmp_path):
    out = tmp_path / 'root'
    _convert(_converter_args(small_mocap, out, '--rig', 'h36m-like'))
    cam_file = out / 'annotation_body3d' / 'cameras.pkl'
    first = pickle.load(open(cam_file, 'rb'))
    # another rig into the same directory: both rigs' cameras are kept, so
    # the first run's annotation files still find theirs
    args = _converter_args(small_mocap, out, '--rig', 'telephoto')
    args[args.index('--name') + 1] = 'y'
    _convert(args)
    both = pickle.load(open(cam_file, 'rb'))
    assert set(first) < set(both)
    ann = np.load(out / 'annotation_body3d' / 'fps10' / 'x_train.npz')
    for name in ann['imgname'][:50]:
        subj, folder = name.split('/')[:2]
        assert (subj, folder.split('.')[-1]) in both
    # other parameters for an existing camera id: refused, file unchanged
    key = next(iter(first))
    tampered = dict(both)
    tampered[key] = dict(first[key], f=first[key]['f'] * 2)
    pickle.dump(tampered, open(cam_file, 'wb'))
    before = _sha(cam_file)
    with pytest.raises(SystemExit, match='already holds other parameters'):
        _convert(_converter_args(small_mocap, out, '--rig', 'h36m-like'))
    assert _sha(cam_file) == before
    _convert(_converter_args(small_mocap, out, '--rig', 'h36m-like',
                             '--replace-cameras', '--overwrite'))
    assert pickle.load(open(cam_file, 'rb'))[key]['f'][0] == first[key]['f'][0]


def test_converter_unreadable_existing_cameras(small_mocap, tmp_path):
    cam_file = tmp_path / 'root' / 'annotation_body3d' / 'cameras.pkl'
    cam_file.parent.mkdir(parents=True)
    cam_file.write_text('not a pickle')
    with pytest.raises(SystemExit, match='cameras.pkl.*cannot be read'):
        _convert(_converter_args(small_mocap, tmp_path / 'root'))


def test_converter_failure_leaves_no_partial_files(small_mocap, tmp_path,
                                                   monkeypatch):
    from mmzedo.datasets.mocap import convert

    def broken_dump(*args, **kwargs):
        raise OSError('disk full')

    monkeypatch.setattr(convert.pickle, 'dump', broken_dump)
    out = tmp_path / 'root'
    with pytest.raises(OSError, match='disk full'):
        convert.convert_mocap([small_mocap], str(out), name='x',
                              test_groups=['test'], fps=10, verbose=False)
    assert [p for p in _tree(out) if not p.endswith('/')] == []


# ------------------------------------------------------ build_anchors ----
def _build_anchors(args):
    _tool(osp.join(REPO_ROOT, 'tools', 'build_anchors.py')).main(
        [str(a) for a in args])


@pytest.fixture(scope='module')
def train_ann(open_benchmark):
    root, _ = open_benchmark
    return osp.join(root, 'h36m-like', 'annotation_body3d', 'fps10',
                    'cmu_train.npz')


def test_build_anchors_never_overwrites_its_input(train_ann, tmp_path):
    src = tmp_path / 'anchors_x_S1.npz'
    src.write_bytes(open(train_ann, 'rb').read())
    before = _sha(src)
    with pytest.raises(SystemExit, match='Refusing to overwrite'):
        _build_anchors([src, '--nums', 1, '--name', 'x', '--out-dir',
                        tmp_path])
    assert _sha(src) == before


def test_build_anchors_millimetres(train_ann, tmp_path):
    d = dict(np.load(train_ann))
    d['S'] = d['S'] * np.array([1000, 1000, 1000, 1])
    mm = tmp_path / 'mm.npz'
    np.savez(mm, **d)
    with pytest.raises(SystemExit, match='look like millimetres'):
        _build_anchors([mm, '--nums', 1, '--name', 'x', '--out-dir',
                        tmp_path / 'out'])
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('args, match', [
    (['--name', '../x'], 'plain file-name stem'),
    (['--name', 'x', '--nums', '0'], 'must be >= 1'),
    (['--name', 'x', '--max-poses', '0'], 'must be >= 1'),
])
def test_build_anchors_options(train_ann, tmp_path, args, match):
    with pytest.raises(SystemExit, match=match):
        _build_anchors([train_ann, '--out-dir', tmp_path / 'out', *args])
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('content, match', [
    (b'', 'not an mmpose Human3.6M-format annotation file'),
    (b'hello, I am text\n', 'not an mmpose Human3.6M-format'),
    (bytes(np.random.default_rng(0).integers(0, 256, 4096, np.uint8)),
     'not an mmpose Human3.6M-format'),
])
def test_build_anchors_bad_annotation_files(tmp_path, content, match):
    bad = tmp_path / 'ann.npz'
    bad.write_bytes(content)
    with pytest.raises(SystemExit, match=match) as e:
        _build_anchors([bad, '--name', 'x', '--out-dir', tmp_path / 'out'])
    assert str(bad) in str(e.value)


@pytest.mark.parametrize('S, match', [
    (np.zeros((10, 16, 4)), r'S has shape \[10, 16, 4\]'),
    (np.full((10, 17, 4), np.nan), 'NaN'),
])
def test_build_anchors_bad_poses(tmp_path, S, match):
    bad = tmp_path / 'ann.npz'
    np.savez(bad, S=S)
    with pytest.raises(SystemExit, match=match):
        _build_anchors([bad, '--name', 'x', '--out-dir', tmp_path / 'out'])


# -------------------------------------------- anchor and prior files ----
def _truncated(path, tmp_path):
    data = open(path, 'rb').read()
    bad = tmp_path / ('cut' + osp.splitext(path)[1])
    bad.write_bytes(data[:len(data) // 2])
    return bad


@pytest.mark.parametrize('kind', ['empty', 'truncated', 'text', 'random'])
def test_bad_anchor_files_name_the_file(tmp_path, kind):
    bad = tmp_path / 'anchors.npz'
    if kind == 'truncated':
        bad = _truncated(anchor_file(10), tmp_path)
    else:
        bad.write_bytes({'empty': b'', 'text': b'anchors!\n',
                         'random': os.urandom(2048)}[kind])
    with pytest.raises(ValueError, match='not a readable anchor file') as e:
        load_anchors(str(bad))
    assert str(bad) in str(e.value)


@pytest.mark.parametrize('anchors, match', [
    (np.load(anchor_file(1))['anchors'] * 1000, 'look like millimetres'),
    (np.zeros((1, 17, 3), np.float32), 'collapsed'),
    (np.zeros((0, 17, 3), np.float32), 'holds no anchors'),
    (np.full((1, 17, 3), np.nan, np.float32), 'NaN'),
])
def test_anchor_contents_labelled_as_metres(tmp_path, anchors, match):
    bad = tmp_path / 'anchors.npz'
    np.savez(bad, anchors=anchors, joint_layout='h36m-17', units='m')
    with pytest.raises(ValueError, match=match):
        load_anchors(str(bad))
    with pytest.raises(ValueError):
        save_anchors(str(tmp_path / 'out.npz'), anchors, source='test')
    assert not (tmp_path / 'out.npz').exists()


@pytest.mark.parametrize('kind', ['empty', 'truncated', 'text', 'random'])
def test_bad_prior_files_name_the_file(tmp_path, kind):
    bad = tmp_path / 'prior.pth'
    if kind == 'truncated':
        bad = _truncated(SHIPPED_PRIOR, tmp_path)
    else:
        bad.write_bytes({'empty': b'', 'text': b'a prior\n',
                         'random': os.urandom(4096)}[kind])
    with pytest.raises((ValueError, KeyError)) as e:
        ScorePrior.from_checkpoint(str(bad))
    assert str(bad) in str(e.value)


# ------------------------------------------------------ ZeDO settings ----
@pytest.fixture(scope='module')
def real_2d(open_benchmark):
    from mmzedo.analysis import load_test_split
    root, _ = open_benchmark
    kp, conf, f, c, gt = load_test_split('h36m-like', False, 6, root)
    return (torch.tensor(kp, dtype=torch.float32),
            torch.tensor(conf, dtype=torch.float32),
            torch.tensor(f, dtype=torch.float32),
            torch.tensor(c, dtype=torch.float32), gt)


@pytest.fixture(scope='module')
def anchors1():
    return torch.from_numpy(load_anchors(anchor_file(1))['anchors'])


def budget(steps, init_steps, warmup):
    """Solver settings: ``steps`` main-loop steps (``warmup`` of them with T
    fixed) and ``init_steps`` initial-pose steps."""
    return dict(init=dict(steps=init_steps),
                loops=dict(main=dict(steps=steps, warmup=warmup)))


FAST = budget(5, 5, 1)
FULL = budget(100, 50, 20)


def _lift(prior, data, default_anchors, solver=FAST, **changes):
    """ZeDO on ``data`` with ``changes`` of its inputs (keypoints, scores, f,
    c, anchors) and nested settings over ``solver``."""
    kp, conf, f, c, _ = data
    args = dict(keypoints=kp, scores=conf, f=f, c=c,
                anchors=default_anchors)
    cfg = {}
    for k, v in changes.items():
        (args if k in args else cfg)[k] = v
    return zedo_lift(prior, args.pop('keypoints'), args.pop('scores'),
                     args.pop('f'), args.pop('c'), args.pop('anchors'),
                     solver=solver, **cfg)


def _main(**settings):
    return dict(loops=dict(main=settings))


@pytest.mark.parametrize('setting, match', [
    (dict(loops=dict(main=dict(steps=0), polish=dict(steps=0))),
     'at least one step'),
    (_main(steps=-3), 'loops.main.steps=-3'),
    (_main(steps=2.5), 'loops.main.steps=2.5'),
    (_main(warmup=-1), 'loops.main.warmup=-1'),
    (dict(init=dict(steps=-1)), 'init.steps'),
    (_main(t_max=0.01, t_min=0.1), 't_min <= t_max'),
    (_main(t_max=1.5), 't_max <= 1'),
    (dict(loops=dict(polish=dict(t_min=0.0))), '0 < t_min'),
    (dict(init=dict(lr=0)), 'init.lr'),
    (dict(choice=dict(energy_t=0)), 'choice.energy_t'),
    (_main(loop_time=0), 'loops.main.loop_time'),
    (_main(ray_relaxation=2.0), 'ray_relaxation'),
    (_main(ray_relaxation=0), 'ray_relaxation'),
    (_main(bone_symmetry=-0.1), 'loops.main.bone_symmetry=-0.1'),
    (dict(loops=dict(polish=dict(bone_symmetry=1.5))),
     'loops.polish.bone_symmetry=1.5: must be in \\[0, 1\\]'),
    (dict(init=dict(axes='w')), 'init.axes'),
    (_main(step_rule='bogus'), 'Unknown reverse step'),
    (dict(valid=dict(bone_ratio=(2, 1))), 'valid.bone_ratio'),
    (dict(root_index=17), 'root_index=17: the poses have 17 joints'),
    (dict(init=dict(joints=(0, 1, 40))), 'init.joints=\\(0, 1, 40\\)'),
    (dict(init=dict(joints=(0, ))), 'at least 2 distinct'),
    (dict(init=dict(joints=(1, 1))), 'at least 2 distinct'),
    (dict(choice=dict(rule='best')), 'Unknown hypothesis choice'),
    (dict(valid=dict(min_joint=3)), "Unknown ZeDO setting 'valid.min_joint'"),
    (dict(loops=dict(polsh=dict(steps=3))), "loop stage 'loops.polsh' is new"),
    (dict(sequence=dict(warm_loops=dict(main=dict(stepz=1)))),
     "'sequence.warm_loops.main.stepz'"),
    # The flat layout before the stages: named where the setting lives now.
    (dict(steps=20), "'steps' is now loops.main.steps"),
    (dict(polish_steps=0), "'polish_steps' is now loops.polish.steps"),
    (dict(init_joints=(0, 1, 4)), "'init_joints' is now init.joints"),
    (dict(choice='energy'), 'the rule is now choice.rule'),
])
def test_bad_settings(shipped_prior, real_2d, anchors1, setting, match):
    with pytest.raises((ZeDOInputError, ValueError), match=match):
        _lift(shipped_prior, real_2d, anchors1, **setting)


@pytest.mark.parametrize('weight', [1.0, -0.1, 'a'])
def test_bad_warm_start_setting(shipped_prior, real_2d, anchors1, weight):
    from mmzedo.core.sequence import zedo_lift_sequence
    kp, conf, f, c, _ = real_2d
    with pytest.raises(ZeDOInputError, match='anchor_weight'):
        zedo_lift_sequence(shipped_prior, kp[None, :2], conf[None, :2],
                           f[:1], c[:1], anchors1, solver=FAST,
                           sequence=dict(anchor_weight=weight))


@pytest.mark.parametrize('case, match', [
    ('no frames', 'at least one frame'),
    ('no tracks', 'at least one track'),
    ('scores a frame short', r'Scores \[1, 1, 17\] do not match'),
])
def test_bad_sequences(shipped_prior, real_2d, anchors1, case, match):
    from mmzedo.core.sequence import zedo_lift_sequence
    kp, conf, f, c, _ = real_2d
    kp, conf = kp[None, :2], conf[None, :2]
    if case == 'no frames':
        kp, conf = kp[:, :0], conf[:, :0]
    elif case == 'no tracks':
        kp, conf = kp[:0], conf[:0]
    else:
        conf = conf[:, :1]
    with pytest.raises(ZeDOInputError, match=match):
        zedo_lift_sequence(shipped_prior, kp, conf, f[:1], c[:1], anchors1,
                           solver=FAST)


def test_misspelt_setting(shipped_prior, real_2d, anchors1):
    with pytest.raises(ZeDOInputError, match="Unknown ZeDO setting 'step'"):
        _lift(shipped_prior, real_2d, anchors1, step=100)


# -------------------------------------------------------- ZeDO inputs ----
def _mutate(data, name):
    kp, conf, f, c, _ = (v.clone() if torch.is_tensor(v) else v
                         for v in data)
    cases = {
        'empty batch': dict(keypoints=kp[:0], scores=conf[:0], f=f[:0],
                            c=c[:0]),
        'NaN 2D': dict(keypoints=kp.index_fill(1, torch.tensor([3]), np.nan)),
        '16 joints': dict(keypoints=kp[:, :16], scores=conf[:, :16]),
        'scores shape': dict(scores=conf[:, :10]),
        'zero confidences': dict(scores=torch.zeros_like(conf)),
        'negative confidence': dict(scores=conf - 2),
        'one confident joint': dict(
            scores=torch.zeros_like(conf).index_fill(1, torch.tensor([0]),
                                                     1.)),
        'zero focal': dict(f=torch.zeros_like(f)),
        'NaN focal': dict(f=torch.full_like(f, np.nan)),
        'focal shape': dict(f=f[:, :1]),
        'normalised 2D': dict(keypoints=kp / 1000.),
        'all joints on one pixel': dict(
            keypoints=kp[:, :1].expand_as(kp).contiguous()),
        'focal 1e7': dict(f=torch.full_like(f, 1e7)),
        'focal in metres': dict(f=torch.full_like(f, 0.05)),
        'COCO order': dict(keypoints=_coco_as_h36m(kp)),
        'no anchors': dict(anchors=torch.zeros(0, 17, 3)),
        'anchors in mm': dict(anchors=torch.from_numpy(
            load_anchors(anchor_file(1))['anchors']) * 1000),
        'zero anchors': dict(anchors=torch.zeros(1, 17, 3)),
        'anchor shape': dict(anchors=torch.zeros(1, 16, 3)),
        'string keypoints': dict(keypoints=np.array(kp.numpy(), dtype=str)),
        'object scores': dict(scores=np.array(
            [list(r) for r in conf.numpy()], dtype=object)),
        'ragged focal': dict(f=[[1000.0, 1000.0], [1000.0]]),
    }
    return cases[name]


def _coco_as_h36m(kp):
    """Keypoints in COCO order (from the Human3.6M ones, by mmpose's
    mapping backwards) handed over as if they were Human3.6M."""
    coco = torch.zeros_like(kp)
    h36m_of_coco = {0: 9, 5: 11, 6: 14, 7: 12, 8: 15, 9: 13, 10: 16,
                    11: 4, 12: 1, 13: 5, 14: 2, 15: 6, 16: 3}
    for k, h in h36m_of_coco.items():
        coco[:, k] = kp[:, h]
    for k in (1, 2, 3, 4):  # eyes and ears around the head
        coco[:, k] = kp[:, 10] + (k - 2.5) * 0.1 * (kp[:, 10] - kp[:, 9])
    return coco


@pytest.mark.parametrize('case, match', [
    ('empty batch', 'Empty batch'),
    ('NaN 2D', 'NaN'),
    ('16 joints', 'Expected 17 2D joints'),
    ('scores shape', 'confidences must have shape'),
    ('zero confidences', 'All keypoint confidences are zero'),
    ('negative confidence', 'finite and >= 0'),
    ('one confident joint', 'single joint'),
    ('zero focal', 'focal lengths must be > 0'),
    ('NaN focal', 'intrinsics f contain NaN'),
    ('focal shape', r'f must have shape \[6, 2\]'),
    ('normalised 2D', 'normalised to \\[0, 1\\]'),
    ('all joints on one pixel', 'all joints on one point'),
    ('focal 1e7', 'too far'),
    ('focal in metres', 'too close'),
    ('COCO order', 'COCO-ordered'),
    ('no anchors', 'No anchor poses'),
    ('anchors in mm', 'look like millimetres'),
    ('zero anchors', 'collapsed'),
    ('anchor shape', r'\[S, 17, 3\]'),
    ('string keypoints', 'input keypoints must be numbers'),
    ('object scores', 'input scores must be numbers'),
    ('ragged focal', 'input f must be numbers'),
])
def test_bad_zedo_inputs(shipped_prior, real_2d, anchors1, case, match):
    with pytest.raises(ZeDOInputError, match=match):
        _lift(shipped_prior, real_2d, anchors1, **_mutate(real_2d, case))


@pytest.mark.parametrize('case', ['three confident joints', 'far off 2D'])
def test_degenerate_results_are_flagged(shipped_prior, real_2d, anchors1,
                                        case):
    kp, conf, f, c, _ = real_2d
    if case == 'three confident joints':
        conf = torch.zeros_like(conf)
        conf[:, [0, 1, 4]] = 1  # pelvis and hips only: depth unconstrained
        changes = dict(scores=conf)
    else:
        changes = dict(keypoints=kp + 1e5)  # rays ~90 deg off-axis
    ok = _lift(shipped_prior, real_2d, anchors1, FULL)
    out = _lift(shipped_prior, real_2d, anchors1, FULL, **changes)
    assert ok['valid'].all()
    assert not out['valid'].all()
    bad = ~out['valid']
    if case == 'far off 2D':  # all joints confident: flagged by geometry
        assert ((out['bone_ratio'][bad] < 0.6) |
                (out['bone_ratio'][bad] > 1.6) |
                (out['reprojection_rel'][bad] > 0.15)).all()
    else:  # 3 joints leave the pose to the prior: all flagged
        assert bad.all()


def test_nearly_collinear_2d_is_flagged(shipped_prior, real_2d, anchors1):
    """All joints nearly on one horizontal line (a collapsed or corrupted
    2D pose) are flagged invalid, whatever the fit; real 2D is not."""
    from mmzedo.core.inputs import weighted_2d_aspect
    kp, conf, f, c, _ = real_2d
    assert (weighted_2d_aspect(kp, conf) > 0.1).all()
    line = kp.clone()
    centre_y = line[..., 1].mean(1, keepdim=True)
    line[..., 1] = centre_y + 0.002 * (line[..., 1] - centre_y)
    assert (weighted_2d_aspect(line, conf) < 0.015).all()
    out = _lift(shipped_prior, real_2d, anchors1, keypoints=line)
    assert not out['valid'].any()
    with pytest.raises(ZeDOInputError, match='valid.min_2d_aspect'):
        _lift(shipped_prior, real_2d, anchors1,
              valid=dict(min_2d_aspect=1.5))


def test_focal_length_and_principal_point_swapped(shipped_prior, real_2d,
                                                  anchors1):
    """f and c given the wrong way round, with no image size to check c
    against: the 2D then lies far off the optical axis for that focal
    length, and the results are flagged invalid."""
    from mmzedo.core.inputs import off_axis_angle
    kp, conf, f, c, _ = real_2d
    assert (off_axis_angle(kp, conf, f, c) < 30).all()
    assert (off_axis_angle(kp, conf, c, f) > 50).all()
    ok = _lift(shipped_prior, real_2d, anchors1, FULL)
    swapped = _lift(shipped_prior, real_2d, anchors1, FULL, f=c.clone(),
                    c=f.clone())
    assert ok['valid'].all() and not swapped['valid'].any()


def test_focal_search_2d_outside_the_image(shipped_prior, real_2d,
                                           anchors1):
    """2D that does not fit the given image size (people far outside it)
    is named before the search, instead of an estimate pinned at the
    range's edge and flagged valid."""
    from mmzedo.core.focal_search import estimate_focal
    kp, conf, f, c, _ = real_2d
    size = torch.tensor([[1000., 1002.]]).expand(len(kp), 2)
    with pytest.raises(ZeDOInputError, match='lie outside their image'):
        estimate_focal(shipped_prior, kp + 3000, conf, size, anchors1,
                       solver=FAST)
    with pytest.raises(ZeDOInputError, match='check the image size'):
        estimate_focal(shipped_prior, kp, conf, size / 10, anchors1,
                       solver=FAST)


# ---------------------------------------- lifter, metric, refine hook ----
def _test_dataset(open_benchmark, drop=()):
    """The ZeDO open-benchmark config's test dataset (h36m-like rig),
    without the dataset settings named in ``drop``."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS
    init_default_scope('mmpose')
    root, _ = open_benchmark
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'zedo',
                 'zedo_S1_gt2d_open-cmu-h36m-like.py')).test_dataloader
    cfg.dataset.data_root = osp.join(root, 'h36m-like') + '/'
    for key in drop:
        cfg.dataset.pop(key)
    return DATASETS.build(cfg.dataset)


def _samples(open_benchmark, n=4):
    ds = _test_dataset(open_benchmark)
    return [ds[i]['data_samples'] for i in range(0, 400, 400 // n)]


def test_dataset_config_without_camera_param_file(open_benchmark):
    """A ZeDO dataset config without camera_param_file names that setting
    (mmpose's codec would assert on the missing w and h)."""
    ds = _test_dataset(open_benchmark, drop=('camera_param_file', ))
    with pytest.raises(ValueError, match="set camera_param_file in the "
                       "dataset config"):
        ds[0]


def _lifter(**kw):
    from mmpose.registry import MODELS
    head = dict(type='ZeDOHead', prior_checkpoint=SHIPPED_PRIOR,
                anchors=anchor_file(1), show_progress=False,
                zedo_cfg=dict(FAST))
    head.update(kw)
    return MODELS.build(dict(type='PoseLifter',
                             backbone=dict(type='PassThroughBackbone'),
                             head=head))


@pytest.mark.parametrize('meta, match', [
    (dict(target_root=np.array([np.nan, 0, 0])), 'target_root must be 3'),
    (dict(target_root=np.zeros(2)), 'target_root must be 3'),
    (dict(target_root=np.array([120., -340., 5200.])),
     'target_root .*millimetres'),
    (dict(camera_param=dict(f=np.array([[1145.]]), c=np.array([512.]))),
     r"camera_param\['c'\] must hold 2"),
    (dict(camera_param=dict(f=np.ones((3, 1)), c=np.ones((2, 1)))),
     r"camera_param\['f'\] must hold 2"),
    (dict(camera_param=dict(f=np.array([[512.], [515.]]),
                            c=np.array([[1145.], [1143.]]), w=1000,
                            h=1000)), 'principal point .* outside'),
    (dict(keypoints_visible=np.ones((1, 12))), 'do not match'),
])
def test_lifter_metainfo(open_benchmark, meta, match):
    s = _samples(open_benchmark, 1)[0]
    s.set_metainfo(meta)
    with pytest.raises(ZeDOInputError, match=match):
        _lifter().predict(None, [s])


def test_lifter_scalar_focal_means_fx_equals_fy(open_benchmark):
    a, b = _samples(open_benchmark, 1)[0], _samples(open_benchmark, 1)[0]
    f = np.asarray(a.metainfo['camera_param']['f']).reshape(-1)
    b.set_metainfo(dict(camera_param=dict(b.metainfo['camera_param'],
                                          f=float(f.mean()))))
    a.set_metainfo(dict(camera_param=dict(a.metainfo['camera_param'],
                                          f=np.full((2, 1), f.mean()))))
    lifter = _lifter()
    np.testing.assert_allclose(
        lifter.predict(None, [a])[0].pred_instances.keypoints,
        lifter.predict(None, [b])[0].pred_instances.keypoints,
        atol=1e-5)


def test_lifter_empty_batch_and_no_hypotheses():
    with pytest.raises(ZeDOInputError, match='Empty batch'):
        _lifter().predict(None, [])
    with pytest.raises(ValueError, match='num_hypotheses=0'):
        _lifter(num_hypotheses=0)
    with pytest.raises(ValueError, match="on_invalid must be"):
        _lifter(on_invalid='explode')


def test_invalid_poses_warn_count_or_raise(open_benchmark):
    from mmzedo.evaluation import PoseValidity
    samples = _samples(open_benchmark, 4)
    s = samples[0]
    vis = np.zeros_like(np.asarray(s.metainfo['keypoints_visible']))
    vis[..., [0, 1, 4]] = 1  # only the hips: flagged (see above)
    s.set_metainfo(dict(keypoints_visible=vis))
    lifter = _lifter(zedo_cfg=FULL)
    out = lifter.predict(None, samples)
    valid = [bool(d.pred_instances.valid[0]) for d in out]
    assert valid == [False, True, True, True]
    metric = PoseValidity()
    metric.process(None, [d.to_dict() for d in out])
    res = metric.compute_metrics(metric.results)
    assert res['invalid'] == 1 and res['valid_ratio'] == 0.75
    strict = _lifter(on_invalid='error',
                     zedo_cfg=FULL)
    with pytest.raises(ZeDOInputError, match="flagged invalid"):
        strict.predict(None, samples)


@pytest.mark.parametrize('change, match', [
    ('nan', "lifter's predictions contain NaN"),
    ('joints', 'the prior has 17 joints'),
])
def test_refine_hook_bad_predictions(open_benchmark, change, match):
    from mmengine.structures import InstanceData

    from mmzedo.engine.hooks import ZeDORefineHook
    samples = _samples(open_benchmark, 2)
    for s in samples:
        kp = np.asarray(s.gt_instances.lifting_target, np.float32).reshape(
            1, 17, 3)
        if change == 'nan':
            kp = kp.copy()
            kp[0, 5] = np.nan
        else:
            kp = kp[:, :16]
        s.pred_instances = InstanceData(keypoints=kp)
    hook = ZeDORefineHook(SHIPPED_PRIOR, zedo_cfg=dict(FAST))
    hook.prior = ScorePrior.from_checkpoint(SHIPPED_PRIOR)
    with pytest.raises(ZeDOInputError, match=match):
        hook.refine(samples)


# ------------------------------------------------------------- demo ----
def _demo(args):
    main = _tool(osp.join(REPO_ROOT, 'demo', 'zedo_lift_demo.py')).main
    return main([str(a) for a in args] + ['--no-progress',
                                          '--max-pictures', '0'])


def test_demo_missing_input(tmp_path):
    with pytest.raises(SystemExit, match='no such file'):
        _demo([tmp_path / 'none.json', '--out-dir', tmp_path / 'o'])


@pytest.mark.parametrize('camera, match', [
    (dict(f=-100), 'positive'),
    (dict(f=[1, 2, 3]), 'one or two'),
    (dict(f=1000, c=[1]), 'principal point "c"'),
    ({'other.jpg': dict(f=1000)}, 'No camera for image'),
    ('not json', 'cannot read the camera JSON'),
    (dict(f='wide'), 'focal length "f" must be numbers'),
    (dict(f=1000, c=['middle', 2]), 'principal point "c" must be numbers'),
    (dict(f=[1000, [2, 3]]), 'focal length "f" must be numbers'),
])
def test_demo_bad_camera_json(tmp_path, camera, match):
    cam = tmp_path / 'cam.json'
    cam.write_text(camera if isinstance(camera, str) else json.dumps(camera))
    with pytest.raises(ZeDOInputError, match=match):
        _demo([osp.join(FIXTURES, 'h36m', 'h36m_coco.json'), '--camera-json',
               cam, '--out-dir', tmp_path / 'o'])


def test_demo_unknown_image_size(tmp_path):
    preds = [dict(keypoints=np.load(osp.join(
        FIXTURES, 'h36m', 'test_h36m_body3d.npz'))['part'][0, :, :2].tolist(),
        keypoint_scores=[1.] * 17)]
    path = tmp_path / 'frame.json'
    path.write_text(json.dumps(preds))
    with pytest.raises(ZeDOInputError, match='unknown image size'):
        _demo([path, '--layout', 'h36m', '--out-dir', tmp_path / 'o'])
    # with the size, the focal length is estimated and the pose lifted
    res = _demo([path, '--layout', 'h36m', '--image-size', 1000, 1002,
                 '--out-dir', tmp_path / 'o'])
    from mmzedo.apis.wild_lifting import summary
    assert summary(res)['valid'] == 1


def test_demo_bad_cli_options(tmp_path):
    for args in (['--focal', 1, 2, 3], ['--center', 1, 2],
                 ['--min-joints', 0]):
        with pytest.raises(SystemExit):
            _demo([osp.join(FIXTURES, 'coco', 'test_coco.json'), *args,
                   '--out-dir', tmp_path / 'o'])


def test_demo_img_dir_that_does_not_exist(tmp_path):
    with pytest.raises(SystemExit):
        _demo([osp.join(FIXTURES, 'h36m', 'h36m_coco.json'), '--img-dir',
               tmp_path / 'no_such_dir', '--out-dir', tmp_path / 'o'])
    assert not (tmp_path / 'o').exists()


def _lift_h36m(*options):
    """The lifting CLI on the Human3.6M fixture's 2D with ``options``."""
    return ['demo/zedo_lift_demo.py', FIXTURES + '/h36m/h36m_coco.json',
            *options, '--out-dir', '{tmp}/o']


@pytest.mark.parametrize('args, match', [
    (['demo/zedo_lift_demo.py', '{tmp}/none.json', '--out-dir', '{tmp}/o'],
     'no such file'),
    (_lift_h36m('--camera-json', '{tmp}/cam.json'),
     'cannot read the camera JSON'),
    (_lift_h36m('--height', '175'), '--height: A standing height of 175.0 m'),
    (_lift_h36m('--zedo-cfg', '{{"steps": 20}}'),
     "'steps' is now loops.main.steps"),
    (_lift_h36m('--zedo-cfg', 'steps=20'), '--zedo-cfg is not JSON'),
    (_lift_h36m('--zedo-cfg', '{{"preset": 3}}'), 'must be None, a preset'),
    (_lift_h36m('--zedo-cfg', '{{"init": {{"joints": [0, 1, 99]}}}}'),
     r'init.joints=[0, 1, 99]: must be at least 2 distinct joint indices'),
    (['tools/publish_prior.py', 'configs/prior/'
      'prior_mlp-512x2_subvp-t01_1xb512-30k_open-cmu.py', '{tmp}/cam.json',
      '{tmp}/p.pth'], 'not a readable torch file'),
])
def test_command_line_errors_end_like_argparse(tmp_path, args, match):
    """Bad input on the command line: the message alone on stderr and exit
    status 2, as argparse does; no traceback."""
    import subprocess
    import sys
    (tmp_path / 'cam.json').write_text('not json')
    cmd = [sys.executable] + [a.format(tmp=tmp_path) for a in args]
    r = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2, r.stderr
    assert 'Traceback' not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith(osp.basename(args[0]) + ': error: ')
    assert match in last


def test_demo_never_overwrites_its_input(tmp_path):
    src = tmp_path / 'predictions.json'
    src.write_bytes(open(osp.join(FIXTURES, 'h36m', 'h36m_coco.json'),
                         'rb').read())
    before = _sha(src)
    with pytest.raises(SystemExit, match='is the input'):
        _demo([src, '--image-size', 1000, 1002, '--out-dir', tmp_path])
    assert _sha(src) == before


def test_written_files_follow_the_umask(tmp_path):
    """Files written atomically get the mode a new file gets under the
    user's umask (mkstemp alone would leave them 0600)."""
    import os
    import stat

    from mmzedo.utils.safe_io import atomic_path
    old = os.umask(0o022)
    try:
        for umask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
            os.umask(umask)
            out = tmp_path / f'out_{umask:o}.txt'
            with atomic_path(str(out)) as tmp:
                with open(tmp, 'w') as f:
                    f.write('x')
            assert stat.S_IMODE(out.stat().st_mode) == mode, oct(umask)
    finally:
        os.umask(old)


def test_outputs_are_never_silently_replaced(small_mocap, train_ann,
                                             tmp_path):
    """The converter, build_anchors and publish_prior refuse to replace an
    earlier output of the same name, name the file and how to keep both,
    leave it unchanged, and replace it with --overwrite."""
    out = tmp_path / 'root'
    _convert(_converter_args(small_mocap, out))
    ann = out / 'annotation_body3d' / 'fps10' / 'x_train.npz'
    before = _sha(ann)
    with pytest.raises(SystemExit, match='x_train.npz exists already: pass '
                       '--overwrite'):
        _convert(_converter_args(small_mocap, out, '--seed', '3'))
    assert _sha(ann) == before
    _convert(_converter_args(small_mocap, out, '--seed', '3', '--overwrite'))
    assert _sha(ann) != before
    # build_anchors, same --name twice
    args = [train_ann, '--nums', 1, '--name', 'y', '--out-dir', tmp_path]
    _build_anchors(args)
    first = _sha(tmp_path / 'anchors_y_S1.npz')
    with pytest.raises(SystemExit, match='anchors_y_S1.npz exists already.*'
                       'another --name'):
        _build_anchors(args + ['--seed', 5])
    assert _sha(tmp_path / 'anchors_y_S1.npz') == first
    _build_anchors(args + ['--overwrite'])
    # publish_prior into an OUT that holds another prior
    publish = _tool(osp.join(REPO_ROOT, 'tools', 'publish_prior.py')).publish
    config = osp.join(REPO_ROOT, 'configs', 'prior',
                      'prior_mlp-512x2_subvp-t01_1xb512-30k_open-cmu.py')
    shipped = osp.join(REPO_ROOT, 'checkpoints',
                       'prior_mlp-512x2_subvp-t01_open-cmu.pth')
    other = tmp_path / 'other.pth'
    other.write_bytes(open(shipped, 'rb').read())
    before = _sha(other)
    with pytest.raises(FileExistsError, match='other.pth exists already'):
        publish(config, shipped, str(other))
    assert _sha(other) == before
    publish(config, shipped, str(other), overwrite=True)
