# Copyright (c) mmzedo contributors. All rights reserved.
"""tools/publish_prior.py writes a self-describing prior (network type,
training-time range, units, joint layout, checksum) that
``ScorePrior.from_checkpoint`` rebuilds, verifies and refuses when broken."""
import os.path as osp
import sys

import pytest
import torch

from mmzedo.core import ScorePrior
from ..conftest import REPO_ROOT, SHIPPED_PRIOR, anchor_file

sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))
from publish_prior import publish  # noqa: E402

CONFIG = osp.join(REPO_ROOT, 'configs', 'prior',
                  'prior_mlp-512x2_subvp-t01_1xb512-30k_open-cmu.py')


@pytest.fixture(scope='module')
def published(tmp_path_factory):
    """A PosePrior built from the shipped config, saved as mmengine does,
    then published."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpose.registry import MODELS

    import mmzedo  # noqa: F401
    init_default_scope('mmpose')
    work = tmp_path_factory.mktemp('publish')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model)
    raw = work / 'iter_5.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(iter=5)), raw)
    out = work / 'prior.pth'
    publish(CONFIG, str(raw), str(out))
    return model, raw, out


def test_roundtrip_describes_itself(published):
    model, _, out = published
    ckpt = torch.load(out, weights_only=True)
    meta = ckpt['meta']
    assert meta['units'] == 'm' and meta['joint_layout'] == 'h36m'
    assert meta['joint_names'][0] == 'pelvis' and meta['root_index'] == 0
    assert meta['train_t'] == dict(t_max=0.1, full_range_prob=0.1)
    assert meta['iter'] == 5 and len(meta['sha256']) == 64
    # The training data's licence and sources, from the config.
    assert meta['licence'].startswith('CMU Graphics Lab')
    assert len(meta['sources']) == 1 and 'NSF EIA-0196217' in meta[
        'sources'][0]
    prior = ScorePrior.from_checkpoint(str(out))
    assert type(prior.score_net).__name__ == 'ScoreMLP'
    assert prior.train_t == meta['train_t']
    x = torch.randn(4, 17, 3) * 0.2
    model.eval()
    torch.testing.assert_close(prior.score(x, 0.05),
                               model.score(x, 0.05))


def test_published_layout_loads_into_both_models(published, tmp_path):
    """A published prior is keyed as mmpose's PoseLifter with a ZeDOHead
    holds it (``head.prior.*``) and carries the dataset meta that mmpose's
    inferencers give that lifter; it also loads into PosePrior
    (fine-tuning), and a file of the older ``prior.*`` layout is published
    again with the same weights."""
    from mmengine.config import Config
    from mmengine.runner.checkpoint import _load_checkpoint_to_model
    from mmpose.registry import MODELS
    model, _, out = published
    ckpt = torch.load(out, weights_only=True)
    assert all(k.startswith('head.prior.') for k in ckpt['state_dict'])
    dataset_meta = ckpt['meta']['dataset_meta']
    assert dataset_meta['dataset_name'] == 'h36m'
    assert dataset_meta['num_keypoints'] == 17
    assert dataset_meta['stats_info']['bbox_scale'] == 1.
    lifter = MODELS.build(dict(
        type='PoseLifter', backbone=dict(type='PassThroughBackbone'),
        head=dict(type='ZeDOHead', prior_checkpoint=SHIPPED_PRIOR,
                  anchors=anchor_file(1), show_progress=False)))
    lifter.load_state_dict(ckpt['state_dict'])  # strict
    fresh = MODELS.build(Config.fromfile(CONFIG).model)
    _load_checkpoint_to_model(fresh, ckpt, strict=True)
    x = torch.randn(4, 17, 3) * 0.2
    model.eval(), fresh.eval(), lifter.eval()
    torch.testing.assert_close(fresh.score(x, 0.05), model.score(x, 0.05))
    torch.testing.assert_close(lifter.head.prior.score(x, 0.05),
                               model.score(x, 0.05))
    old = dict(ckpt, state_dict={k[len('head.'):]: v
                                 for k, v in ckpt['state_dict'].items()})
    torch.save(old, tmp_path / 'old.pth')
    publish(CONFIG, str(tmp_path / 'old.pth'), str(tmp_path / 'new.pth'))
    new = torch.load(tmp_path / 'new.pth', weights_only=True)
    assert new['meta']['sha256'] == ckpt['meta']['sha256']


def test_publish_needs_the_datas_licence(published, tmp_path):
    """A config without prior_data (or with a malformed one) is refused
    before anything is written, naming the setting."""
    from mmengine.config import Config
    _, raw, _ = published
    for data in (None, dict(licence='', sources=['x']),
                 dict(licence='MIT', sources=[])):
        cfg = Config.fromfile(CONFIG)
        cfg.prior_data = data
        config = tmp_path / 'no_licence.py'
        cfg.dump(str(config))
        out = tmp_path / 'prior.pth'
        with pytest.raises(ValueError, match='prior_data = dict'):
            publish(str(config), str(raw), str(out))
        assert not out.exists()


def test_shipped_priors_carry_licence_and_sources():
    for name in ('prior_mlp-512x2_subvp-t01-seat-h36mjoints_open-cmu.pth',
                 'prior_mlp-512x2_subvp-t01-mix-angles-seat-h36mjoints_'
                 'open-cmu.pth',
                 'prior_mlp-512x2_subvp-t01-tilt-seat-h36mjoints_open-cmu.pth',
                 'prior_mlp-1024x2_subvp-t01-seat-h36mjoints_open-cmu.pth',
                 'prior_mlp-512x2_subvp-t01_open-cmu.pth',
                 'prior_mlp-512x2_subvp-t01-seat_open-cmu.pth',
                 'prior_mlp-1024x2_subvp-t01-cos_open-cmu.pth'):
        meta = torch.load(osp.join(REPO_ROOT, 'checkpoints', name),
                          weights_only=True)['meta']
        assert meta['licence'].startswith('CMU Graphics Lab'), name
        assert any('cmu' in src.lower() for src in meta['sources'])
        assert not any('bandai' in src.lower() for src in meta['sources'])
    # The seated-legs prior names the config that trains it.
    meta = torch.load(osp.join(REPO_ROOT, 'checkpoints',
                               'prior_mlp-512x2_subvp-t01-seat_open-cmu.pth'),
                      weights_only=True)['meta']
    assert meta['config'] == \
        'prior_mlp-512x2_subvp-t01-seat_1xb512-30k_open-cmu.py'
    assert meta['iter'] == 30000


def _tampered(src, dst, edit):
    ckpt = torch.load(src, weights_only=True)
    edit(ckpt)
    torch.save(ckpt, dst)
    return str(dst)


def test_refuses_broken_or_foreign_priors(published, tmp_path):
    _, _, out = published

    def zero_weights(c):
        k = next(iter(c['state_dict']))
        c['state_dict'][k] = torch.zeros_like(c['state_dict'][k])

    bad = _tampered(out, tmp_path / 'zeroed.pth', zero_weights)
    with pytest.raises(ValueError, match='checksum.*zeroed.pth|zeroed.pth.*'
                       'checksum'):
        ScorePrior.from_checkpoint(bad)
    bad = _tampered(out, tmp_path / 'mm.pth',
                    lambda c: c['meta'].update(units='mm'))
    with pytest.raises(ValueError, match='mm.pth.*"mm"'):
        ScorePrior.from_checkpoint(bad)
    bad = _tampered(out, tmp_path / 'coco.pth',
                    lambda c: c['meta'].update(joint_names=['nose'] * 17))
    with pytest.raises(ValueError, match='Human3.6M-17'):
        ScorePrior.from_checkpoint(bad)
    bad = _tampered(
        out, tmp_path / 'type.pth',
        lambda c: c['prior_cfg']['score_net'].update(type='ScoreUNet'))
    with pytest.raises(KeyError, match='ScoreUNet'):
        ScorePrior.from_checkpoint(bad)
    for name, data in (('empty.pth', b''), ('text.pth', b'hello\n'),
                       ('random.pth', bytes(range(256)) * 8),
                       ('truncated.pth', out.read_bytes()[:5000])):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(ValueError, match=name):
            ScorePrior.from_checkpoint(str(path))
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        ScorePrior.from_checkpoint(str(tmp_path / 'missing.pth'))


def test_publish_never_overwrites_its_input(published):
    _, raw, _ = published
    before = raw.read_bytes()
    with pytest.raises(ValueError, match='overwrite'):
        publish(CONFIG, str(raw), str(raw))
    assert raw.read_bytes() == before


@pytest.mark.parametrize('kind, match', [
    ('truncated', 'not a readable torch file'),
    ('text', 'not a readable torch file'),
    ('anchors', 'not a readable torch file'),
    ('list', 'holds a list, not a checkpoint'),
    ('no prior weights', 'has no "prior.\\*" weights'),
])
def test_publish_names_a_checkpoint_it_cannot_read(published, tmp_path,
                                                   kind, match):
    _, raw, _ = published
    bad = tmp_path / 'bad.pth'
    if kind == 'truncated':
        bad.write_bytes(raw.read_bytes()[:5000])
    elif kind == 'text':
        bad.write_text('iteration 5\n')
    elif kind == 'anchors':
        bad.write_bytes(open(osp.join(REPO_ROOT, 'checkpoints',
                                      'anchors_open-cmu_S1.npz'),
                             'rb').read())
    elif kind == 'list':
        torch.save([torch.zeros(3)], bad)
    else:
        torch.save(dict(state_dict={'net.w': torch.zeros(3)}), bad)
    out = tmp_path / 'prior.pth'
    with pytest.raises((ValueError, KeyError), match=match) as e:
        publish(CONFIG, str(bad), str(out))
    assert str(bad) in str(e.value)
    assert not out.exists()


def test_publish_takes_a_bare_state_dict_and_checks_the_weights(
        published, tmp_path):
    """A bare state dict publishes like mmengine's checkpoint; weights of
    another architecture, or NaN weights, are refused before writing."""
    model, raw, first = published
    bare = tmp_path / 'bare.pth'
    torch.save(model.state_dict(), bare)
    out = tmp_path / 'prior.pth'
    publish(CONFIG, str(bare), str(out))
    assert (torch.load(out, weights_only=True)['meta']['sha256'] ==
            torch.load(first, weights_only=True)['meta']['sha256'])
    wide = osp.join(REPO_ROOT, 'configs', 'prior',
                    'prior_mlp-1024x2_subvp-t01-cos_1xb1024-45k_open-cmu.py')
    with pytest.raises(ValueError, match='description .* and its weights '
                       'differ: .*shapes') as e:
        publish(wide, str(raw), str(tmp_path / 'wide.pth'))
    assert 'prior_mlp-1024x2' in str(e.value)
    assert not (tmp_path / 'wide.pth').exists()
    state = model.state_dict()
    key = next(k for k, v in state.items() if v.is_floating_point())
    state[key] = state[key].clone().fill_(float('nan'))
    nan = tmp_path / 'nan.pth'
    torch.save(dict(state_dict=state), nan)
    with pytest.raises(ValueError, match='not finite'):
        publish(CONFIG, str(nan), str(tmp_path / 'nan_prior.pth'))
    assert not (tmp_path / 'nan_prior.pth').exists()


def test_a_prior_whose_description_and_weights_differ(published, tmp_path):
    """A published file whose prior_cfg does not describe its weights is
    named as such at load time (not a deep load_state_dict error)."""
    _, _, out = published
    ckpt = torch.load(out, weights_only=True)
    ckpt['prior_cfg']['score_net']['hidden_dim'] = 256
    bad = tmp_path / 'edited.pth'
    torch.save(ckpt, bad)
    with pytest.raises(ValueError, match='edited.pth: the prior\'s '
                       'description .* and its weights differ'):
        ScorePrior.from_checkpoint(str(bad))
