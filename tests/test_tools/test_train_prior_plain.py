# Copyright (c) mmzedo contributors. All rights reserved.
"""tools/train_prior_plain.py reproduces a prior config's training where only
torch is installed: the export carries the config's settings and training
poses, the learning rate follows mmengine's schedulers, the EMA follows
mmengine's rule, and a short run publishes a prior that has learnt."""
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from mmzedo.core import ScorePrior
from ..conftest import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))
from train_prior_plain import (SETTINGS, ema_of, export,  # noqa: E402
                               lr_factor, train)

CONFIG = osp.join(REPO_ROOT, 'configs', 'prior',
                  'prior_mlp-512x2_subvp-t01_1xb512-30k_open-cmu.py')


@pytest.fixture(scope='module')
def exported(tmp_path_factory, open_benchmark):
    root, _ = open_benchmark
    work = tmp_path_factory.mktemp('plain')
    export(CONFIG, str(work), {
        'train_dataloader.dataset.dataset.data_root':
        osp.join(root, 'h36m-like') + '/'
    })
    return work


def test_export_carries_the_config(exported, open_benchmark):
    from mmengine.config import Config
    cfg = Config.fromfile(CONFIG)
    with open(exported / 'settings.json') as f:
        s = json.load(f)
    assert set(s) == SETTINGS  # what train checks for
    assert s['prior_cfg']['score_net']['hidden_dim'] == 512
    assert s['prior_cfg']['train_t'] == dict(t_max=0.1, full_range_prob=0.1)
    assert s['optimizer']['lr'] == cfg.optim_wrapper.optimizer.lr
    assert s['batch_size'] == 512 and s['max_iters'] == 30000
    assert [p['type'] for p in s['param_scheduler']] == [
        'LinearLR', 'CosineAnnealingLR'
    ]
    assert s['ema_momentum'] == 1e-3 and s['augment']['flip_prob'] == 0.5
    assert s['prior_data'] == dict(cfg.prior_data)
    poses = np.load(exported / 'poses.npy')
    # The open benchmark's train split, root-relative, in metres.
    S = np.load(osp.join(open_benchmark[0], 'h36m-like', 'annotation_body3d',
                         'fps10', 'cmu_train.npz'))['S'][..., :3]
    assert poses.shape == S.shape
    assert np.abs(poses[:, 0]).max() == 0
    assert 0.3 < np.abs(poses).max() < 2.5


def test_export_refuses_a_lifter_config(tmp_path):
    zedo = osp.join(REPO_ROOT, 'configs', 'zedo',
                    'zedo_S1_gt2d_open-cmu-h36m-like.py')
    with pytest.raises(ValueError, match='not a PosePrior config'):
        export(zedo, str(tmp_path))


def test_train_names_what_is_wrong(exported, tmp_path):
    with pytest.raises(FileNotFoundError, match='run "export" first'):
        train(str(tmp_path), str(tmp_path), 'cpu', max_iters=1)
    with open(exported / 'settings.json') as f:
        s = json.load(f)
    del s['ema_momentum']
    with open(tmp_path / 'settings.json', 'w') as f:
        json.dump(s, f)
    with pytest.raises(KeyError, match='ema_momentum'):
        train(str(tmp_path), str(tmp_path), 'cpu', max_iters=1)
    s['ema_momentum'] = 1e-3
    with open(tmp_path / 'settings.json', 'w') as f:
        json.dump(s, f)
    poses = np.load(exported / 'poses.npy')[:600].copy()
    poses[3, 4, 1] = np.nan
    np.save(tmp_path / 'poses.npy', poses)
    with pytest.raises(ValueError, match='NaN'):
        train(str(tmp_path), str(tmp_path), 'cpu', max_iters=1)
    np.save(tmp_path / 'poses.npy', poses[:, :16])
    with pytest.raises(ValueError, match=r'expected \[N, 17, 3\]'):
        train(str(tmp_path), str(tmp_path), 'cpu', max_iters=1)


def _settings_case(exported, tmp_path, change=None, poses=None):
    with open(exported / 'settings.json') as f:
        s = json.load(f)
    s.update(change or {})
    with open(tmp_path / 'settings.json', 'w') as f:
        json.dump(s, f)
    p = np.load(exported / 'poses.npy')[:600]
    np.save(tmp_path / 'poses.npy', p if poses is None else poses(p))


@pytest.mark.parametrize('change, match', [
    (dict(batch_size=0), 'batch_size must be an integer >= 1, got 0'),
    (dict(batch_size=2.5), 'batch_size must be an integer'),
    (dict(ema_momentum=1.5), r'ema_momentum must lie in \(0, 1\)'),
    (dict(ema_momentum=0), r'ema_momentum must lie in \(0, 1\)'),
    (dict(max_iters=0), 'max_iters must be an integer >= 1'),
    (dict(optimizer=dict(lr=-1)), 'learning rate lr > 0'),
    (dict(clip_grad_max_norm='big'), 'clip_grad_max_norm'),
    (dict(param_scheduler=[dict(type='MultiStepLR', by_epoch=False,
                                end=10)]), 'MultiStepLR .* not reproduced'),
    (dict(param_scheduler=[dict(type='LinearLR', end=10)]),
     'by_epoch=True'),
    (dict(augment=dict(flip_probability=.5)), 'flip_probability'),
])
def test_train_checks_its_settings_before_work(exported, tmp_path, change,
                                               match):
    _settings_case(exported, tmp_path, change)
    with pytest.raises(ValueError, match=match) as e:
        train(str(tmp_path), str(tmp_path / 'out'), 'cpu', max_iters=1)
    assert 'settings.json' in str(e.value)
    assert not (tmp_path / 'out').exists()  # nothing started


@pytest.mark.parametrize('poses, match', [
    (lambda p: p * 1000, 'look like millimetres'),
    (lambda p: p * 0, 'collapsed'),
    (lambda p: np.repeat(p[:1], len(p), 0), 'every pose is the same'),
    (lambda p: p.astype(str), 'numeric array'),
    (lambda p: np.array([object()] * 600), 'not a readable .npy file'),
])
def test_train_checks_its_poses_before_work(exported, tmp_path, poses,
                                            match):
    _settings_case(exported, tmp_path, poses=poses)
    with pytest.raises(ValueError, match=match) as e:
        train(str(tmp_path), str(tmp_path / 'out'), 'cpu', max_iters=1)
    assert 'poses.npy' in str(e.value)
    assert not (tmp_path / 'out').exists()


def test_train_reads_float64_poses_and_refuses_broken_json(exported,
                                                           tmp_path):
    _settings_case(exported, tmp_path, dict(batch_size=64),
                   poses=lambda p: p.astype(np.float64))
    out = train(str(tmp_path), str(tmp_path / 'out'), 'cpu', max_iters=2)
    assert ScorePrior.from_checkpoint(out) is not None
    (tmp_path / 'settings.json').write_text('{"batch_size": 64,')
    with pytest.raises(ValueError, match='settings.json is not valid JSON'):
        train(str(tmp_path), str(tmp_path / 'out2'), 'cpu', max_iters=1)
    from train_prior_plain import main
    with pytest.raises(SystemExit, match='--log-every must be an integer'):
        main(['train', str(tmp_path), '--log-every', '0'])


def test_lr_follows_mmengine_schedulers():
    from mmengine.optim import CosineAnnealingLR, LinearLR
    base_lr, end = 1e-3, 60
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
    schedulers = [
        dict(type='LinearLR', start_factor=1e-2, by_epoch=False, begin=0,
             end=10),
        dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=False,
             begin=10, end=end)
    ]
    mm = [
        LinearLR(opt, start_factor=1e-2, by_epoch=False, begin=0, end=10),
        CosineAnnealingLR(opt, eta_min=1e-5, by_epoch=False, begin=10,
                          end=end)
    ]
    for it in range(end + 5):
        expected = opt.param_groups[0]['lr']
        assert lr_factor(schedulers, it, base_lr) * base_lr == \
            pytest.approx(expected, rel=1e-6, abs=1e-12), it
        opt.step()
        for s in mm:
            s.step()


def test_ema_follows_mmengine_rule():
    from mmengine.model import ExponentialMovingAverage
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    ours = ema_of(net, 0.1)
    theirs = ExponentialMovingAverage(net, momentum=0.1, update_buffers=True)
    for _ in range(5):
        with torch.no_grad():
            for p in net.parameters():
                p.add_(torch.randn_like(p))
        net(torch.randn(8, 3))  # moves BatchNorm's running stats
        ours.update_parameters(net)
        theirs.update_parameters(net)
    for a, b in zip(ours.module.state_dict().values(),
                    theirs.module.state_dict().values()):
        torch.testing.assert_close(a.float(), b.float())


def test_short_run_publishes_a_prior_that_learnt(exported, open_benchmark,
                                                 tmp_path):
    # The shipped config's loop, shortened: a faster EMA and no warm-up so
    # that 150 iterations show.
    with open(exported / 'settings.json') as f:
        s = json.load(f)
    s.update(ema_momentum=0.05, param_scheduler=[], batch_size=256)
    work = tmp_path / 'work'
    work.mkdir()
    with open(work / 'settings.json', 'w') as f:
        json.dump(s, f)
    (work / 'poses.npy').symlink_to(exported / 'poses.npy')
    out = train(str(work), str(tmp_path / 'out'), 'cpu', max_iters=150,
                log_every=50)
    assert osp.basename(out) == 'prior_iter_150.pth'
    prior = ScorePrior.from_checkpoint(out).eval()
    meta = torch.load(out, weights_only=True)['meta']
    assert meta['iter'] == 150 and meta['config'] == osp.basename(CONFIG)
    assert meta['licence'] == s['prior_data']['licence']
    assert meta['sources'] == s['prior_data']['sources']
    # Held-out poses (the test split), denoising loss at ZeDO's t <= 0.1,
    # against the same network untrained.
    test = np.load(osp.join(open_benchmark[0], 'h36m-like',
                            'annotation_body3d', 'fps10',
                            'cmu_test.npz'))['S'][::50, :, :3]
    x = torch.from_numpy(test - test[:, :1]).float()
    torch.manual_seed(0)
    fresh = ScorePrior.from_cfg(s['prior_cfg']).eval()

    def loss(model):
        torch.manual_seed(2)
        with torch.no_grad():
            return float(np.mean([model.dsm_loss(x) for _ in range(4)]))

    assert loss(prior) < 0.7 * loss(fresh)


def test_train_checks_its_options_and_never_replaces_a_prior(exported,
                                                             tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    with open(exported / 'settings.json') as f:
        s = json.load(f)
    s['batch_size'] = 64
    with open(work / 'settings.json', 'w') as f:
        json.dump(s, f)
    (work / 'poses.npy').symlink_to(exported / 'poses.npy')
    for option, value in (('max_iters', 0), ('max_iters', -3),
                          ('log_every', 0), ('save_every', 0)):
        with pytest.raises(ValueError, match=option.replace('_', '-')):
            train(str(work), str(work), 'cpu', **{option: value})
    out = train(str(work), str(tmp_path / 'out'), 'cpu', max_iters=2)
    before = open(out, 'rb').read()
    with pytest.raises(FileExistsError, match='prior_iter_2.pth exists '
                       'already: pass --overwrite'):
        train(str(work), str(tmp_path / 'out'), 'cpu', max_iters=2)
    assert open(out, 'rb').read() == before
    train(str(work), str(tmp_path / 'out'), 'cpu', max_iters=2,
          overwrite=True)


def test_generalisation_recipes_train_with_their_seed(exported, tmp_path):
    """prior_generalisation.py's --seed reaches training: the same seed
    trains the same weights, another seed other weights; a recipe's
    network settings reach the trained network."""
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis'))
    import prior_generalisation as pg
    with open(exported / 'settings.json') as f:
        exported_settings = json.load(f)
    s = pg.recipe_settings(exported_settings, pg.RECIPES['seat'], 2)
    weights = [
        torch.load(pg.train_recipe(str(exported), str(tmp_path / name), s,
                                   seed=seed),
                   weights_only=True)['state_dict']
        for name, seed in (('a', 0), ('b', 0), ('c', 1))]
    assert weights[0].keys() == weights[2].keys()
    for key in weights[0]:
        torch.testing.assert_close(weights[0][key], weights[1][key])
    assert any(not torch.equal(weights[0][k], weights[2][k])
               for k in weights[0])
    # The width recipe's network reaches training: a published prior 1024
    # wide with a 512-wide time embedding, as the shipped 1024-wide one.
    from mmzedo.core import ScorePrior
    s = pg.recipe_settings(exported_settings,
                           pg.RECIPES['h36m-joints+seat+w1024'], 2)
    wide = ScorePrior.from_checkpoint(
        pg.train_recipe(str(exported), str(tmp_path / 'wide'), s))
    accurate = ScorePrior.from_checkpoint(osp.join(
        REPO_ROOT, 'checkpoints',
        'prior_mlp-1024x2_subvp-t01-cos_open-cmu.pth'))
    shapes = [{k: v.shape for k, v in p.state_dict().items()}
              for p in (wide, accurate)]
    assert shapes[0] == shapes[1]
    assert s['augment']['seat_prob'] == 0.2
