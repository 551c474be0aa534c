# Copyright (c) mmzedo contributors. All rights reserved.
"""mmpose's own train/test tools, through mmzedo's wrappers, on the open
benchmark: a checkpoint saved by tools/train.py loads in tools/test.py under
torch >= 2.6 (weights_only), and the metrics come out."""
import json
import os.path as osp
import subprocess
import sys

import pytest
import torch

from ..conftest import REPO_ROOT, run_tool as _run


def test_checkpoint_needs_and_gets_safe_globals(trained_baseline):
    _, _, ckpt = trained_baseline
    # Plain torch refuses it (weights_only=True is the default) ...
    probe = ('import torch, sys\n'
             'try:\n'
             f'    torch.load({str(ckpt)!r})\n'
             'except Exception as e:\n'
             '    print(type(e).__name__); sys.exit(0)\n'
             'sys.exit(3)\n')
    proc = subprocess.run([sys.executable, '-c', probe],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and 'UnpicklingError' in proc.stdout
    # ... and loads it once mmzedo is imported, still with weights_only.
    import mmzedo  # noqa: F401
    ck = torch.load(str(ckpt), weights_only=True)
    assert {'state_dict', 'optimizer', 'message_hub'} <= set(ck)


def test_restricted_getattr_refuses_other_objects():
    import io
    import pickle

    import mmzedo  # noqa: F401
    # getattr(collections.OrderedDict, 'fromkeys') as a protocol-2 pickle.
    payload = (b'\x80\x02c__builtin__\ngetattr\nccollections\nOrderedDict\n'
               b'X\x08\x00\x00\x00fromkeys\x86R.')
    with pytest.raises(pickle.UnpicklingError, match='Refusing getattr'):
        torch.load(io.BytesIO(payload), weights_only=True)


@pytest.mark.parametrize('test_cfg, rig', [
    ('videopose3d_tcn-1frm_1xb1024-12e_open-cmu-h36m-like.py', 'h36m-like'),
    ('videopose3d_tcn-1frm_open-cmu_test-phone-wide.py', 'phone-wide'),
    ('videopose3d_tcn-1frm_open-cmu_test-det.py', 'h36m-like'),
])
def test_tools_test_scores_checkpoint(trained_baseline, tmp_path, test_cfg,
                                      rig):
    root, work, ckpt = trained_baseline
    out = tmp_path / 'metrics.json'
    _run([
        osp.join(REPO_ROOT, 'tools', 'test.py'),
        osp.join(REPO_ROOT, 'configs', 'videopose3d', test_cfg),
        str(ckpt), '--work-dir', str(tmp_path), '--out', str(out),
        '--cfg-options', 'test_dataloader.dataset.indices=256',
        f'test_dataloader.dataset.data_root={osp.join(root, rig)}/'
    ], cwd=str(tmp_path))
    metrics = json.loads(out.read_text())
    for key in ('MPJPE', 'P-MPJPE', 'N-MPJPE'):
        assert 0 < metrics[key] < 1.0  # metres; an untrained net is ~0.2+
    assert metrics['P-MPJPE'] <= metrics['MPJPE']
