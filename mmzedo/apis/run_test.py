# Copyright (c) mmzedo contributors. All rights reserved.
"""Run an mmpose test config through mmengine's Runner (what
``tools/test.py`` does) on a subset, and keep the predictions and timings."""
import os.path as osp
import time
from typing import List, Optional, Sequence

import numpy as np
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner


class CollectOutputs(Hook):
    """Keep every test iteration's data samples (as plain dicts), and the
    test epoch's wall time (data, model and evaluation; not the Runner's
    set-up: dataset loading, config dump, checkpoint)."""
    priority = 'LOWEST'

    def __init__(self):
        self.outputs: List[dict] = []
        self.iters = 0
        self.seconds = None

    def before_test_epoch(self, runner):
        self._t0 = time.perf_counter()

    def after_test_epoch(self, runner, metrics=None):
        self.seconds = time.perf_counter() - self._t0

    def after_test_iter(self, runner, batch_idx, data_batch=None,
                        outputs=None):
        self.iters += 1
        self.outputs.extend(d.to_dict() for d in outputs)


class ModuleTimer:
    """Wall time spent inside a module's forward (synchronising CUDA), and
    the number of forward calls."""

    def __init__(self, module):
        import torch
        self.seconds = 0.
        self.calls = 0
        self._t0 = None
        self._sync = (torch.cuda.synchronize
                      if next(module.parameters()).is_cuda else
                      (lambda: None))
        module.register_forward_pre_hook(self._pre)
        module.register_forward_hook(self._post)

    def _pre(self, *args):
        self._sync()
        self._t0 = time.perf_counter()

    def _post(self, *args):
        self._sync()
        self.seconds += time.perf_counter() - self._t0
        self.calls += 1


def evenly_spaced(n_total: int, n: Optional[int]) -> Optional[list]:
    if not n or n >= n_total:
        return None
    return np.linspace(0, n_total - 1, n).astype(int).tolist()


def run_test(config: str,
             checkpoint: Optional[str],
             work_dir: str,
             num_samples: Optional[int] = None,
             cfg_options: Optional[dict] = None,
             time_module: Optional[Sequence[str]] = None) -> dict:
    """Test ``config`` (+ ``checkpoint``) on ``num_samples`` evenly spaced
    test samples. mmengine's Runner picks the device (CUDA when available).

    Args:
        time_module: Attribute path of a submodule of the model whose
            forward time is measured (e.g. ``('prior', 'score_net')``).

    Returns:
        dict: ``metrics``, ``outputs`` (data samples as dicts),
        ``seconds`` (the test epoch's wall time: data pipeline, model and
        evaluation), ``total_seconds`` (``runner.test()`` with the
        Runner's set-up), ``module_seconds``,
        ``module_calls_per_batch`` (forward calls of the timed module per
        test batch), ``num_samples``.
    """
    cfg = Config.fromfile(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    cfg.work_dir = work_dir
    cfg.load_from = checkpoint
    cfg.launcher = 'none'
    # Size the subset from the annotation file (one sample per frame).
    n_total = len(np.load(_ann_path(cfg.test_dataloader.dataset))['imgname'])
    indices = evenly_spaced(n_total, num_samples)
    if indices is not None:
        cfg.test_dataloader.dataset.indices = indices
    runner = Runner.from_cfg(cfg)
    collect = CollectOutputs()
    runner.register_hook(collect)
    timer = None
    if time_module:
        module = runner.model
        for name in time_module:
            module = getattr(module, name)
        timer = ModuleTimer(module)
    t0 = time.perf_counter()
    metrics = runner.test()
    total = time.perf_counter() - t0
    return dict(
        metrics=metrics,
        outputs=collect.outputs,
        seconds=collect.seconds,
        total_seconds=total,
        module_seconds=timer.seconds if timer else None,
        module_calls_per_batch=(timer.calls / max(collect.iters, 1)
                                if timer else None),
        num_samples=len(collect.outputs))


def _ann_path(ds_cfg) -> str:
    ann = ds_cfg['ann_file']
    return ann if osp.isabs(ann) else osp.join(ds_cfg.get('data_root') or '',
                                               ann)
