# Copyright (c) mmzedo contributors. All rights reserved.
"""Helpers around the OpenMMLab stack, which the core does not need."""
import importlib.util
import os.path as osp
import runpy


def has_mmpose() -> bool:
    """Whether mmpose can be imported (it is absent on bare GPU boxes,
    where the plain-torch core still works)."""
    return importlib.util.find_spec('mmpose') is not None


#: The entries of mmpose's parsed dataset meta that are numpy arrays (its
#: visualizers index them as such); :func:`dataset_meta_from_json` makes
#: them arrays again.
META_ARRAYS = ('keypoint_colors', 'skeleton_link_colors',
               'dataset_keypoint_weights', 'sigmas')


def lifter_dataset_meta() -> dict:
    """The dataset meta of a ZeDO lifter, as mmpose's inferencers and
    ``init_model`` read it from a published prior's ``meta``:
    Human3.6M-17 (mmpose's ``h36m.py`` parsed by mmpose: names, skeleton,
    colours, flip pairs), with ``stats_info`` a unit box at the origin, so
    that 2D that mmpose's inferencer normalises to the bounding box (unless
    ``disable_norm_pose_2d``) spans under a pixel, which ZeDO names instead
    of lifting it as if it were pixels. Needs mmpose."""
    import mmpose
    import numpy as np
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    meta = parse_pose_metainfo(dict(from_file=osp.join(
        osp.dirname(mmpose.__file__), '.mim', 'configs', '_base_',
        'datasets', 'h36m.py')))
    meta['stats_info'] = dict(bbox_center=np.zeros((1, 2), np.float32),
                              bbox_scale=1.)
    return meta


def dataset_meta_to_json(meta: dict) -> dict:
    """:func:`lifter_dataset_meta` with lists for arrays (JSON)."""
    import numpy as np

    def plain(v):
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v.tolist() if isinstance(v, (np.ndarray, np.generic)) else v

    return plain(meta)


def dataset_meta_from_json(meta: dict) -> dict:
    """:func:`dataset_meta_to_json`'s result with its arrays back (no
    mmpose needed)."""
    import numpy as np
    meta = dict(meta)
    for key in META_ARRAYS:
        if key in meta:
            meta[key] = np.asarray(meta[key])
    stats = dict(meta.get('stats_info', {}))
    if 'bbox_center' in stats:
        stats['bbox_center'] = np.asarray(stats['bbox_center'], np.float32)
    meta['stats_info'] = stats
    for key in ('flip_pairs', 'skeleton_links'):  # JSON has no tuples
        if key in meta:
            meta[key] = [tuple(pair) for pair in meta[key]]
    if 'keypoint_id2name' in meta:  # JSON keys are strings
        meta['keypoint_id2name'] = {
            int(k): v for k, v in meta['keypoint_id2name'].items()}
    return meta


def run_mmpose_tool(name: str) -> None:
    """Run one of mmpose's own ``tools/*.py`` scripts (shipped inside the
    mmpose package) as ``__main__``, with mmzedo imported first."""
    import mmpose

    import mmzedo  # noqa: F401 - registers modules, fixes torch.load
    distributed_without_gpu_shim()
    path = osp.join(osp.dirname(mmpose.__file__), '.mim', 'tools', name)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'mmpose {mmpose.__version__} does not ship tools/{name} '
            f'(looked for {path}).')
    try:
        runpy.run_path(path, run_name='__main__')
    finally:
        # A process group left to interpreter exit can abort a worker while
        # its threads are torn down ("terminate called without an active
        # exception", exit code -6 under torchrun, after the run finished).
        import torch.distributed as dist
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()


def distributed_without_gpu_shim() -> None:
    """Let mmengine's ``pytorch`` launcher run on CPU-only machines, and
    let models without trainable parameters run distributed.

    mmengine 0.10.7 calls ``torch.cuda.set_device`` in its ``pytorch``
    launcher and wraps models in ``DistributedDataParallel`` with
    ``device_ids=[LOCAL_RANK]``, so ``torchrun ... --launcher pytorch`` dies
    on a machine without CUDA. Where CUDA is absent (and only there), this
    makes the launcher skip ``set_device``, turns the default ``nccl``
    backend into ``gloo``, and wraps CPU models without ``device_ids``.
    On every machine, a model with no trainable parameters (ZeDO's lifter
    is zero-shot) is not wrapped: ``DistributedDataParallel`` refuses such
    models, and there are no gradients to synchronise.
    """
    import torch
    from mmengine.runner import runner as runner_module
    if getattr(runner_module, '_mmzedo_shim', False):
        return
    runner_module._mmzedo_shim = True
    cpu_only = not torch.cuda.is_available()
    init_dist = runner_module.init_dist

    def cpu_init_dist(launcher, backend='nccl', **kwargs):
        if backend == 'nccl':
            backend = 'gloo'
        set_device = torch.cuda.set_device
        torch.cuda.set_device = lambda *args, **kw: None
        try:
            init_dist(launcher, backend=backend, **kwargs)
        finally:
            torch.cuda.set_device = set_device

    if cpu_only:
        runner_module.init_dist = cpu_init_dist
    wrap_model = runner_module.Runner.wrap_model

    def wrap(self, model_wrapper_cfg, model):
        if self.distributed and model_wrapper_cfg is None:
            if not any(p.requires_grad for p in model.parameters()):
                from mmengine.device import get_device
                return model.to(get_device())
            if cpu_only:
                model_wrapper_cfg = dict(
                    type='MMDistributedDataParallel',
                    device_ids=None,  # a CPU module
                    broadcast_buffers=False,
                    find_unused_parameters=self.cfg.get(
                        'find_unused_parameters', False))
        return wrap_model(self, model_wrapper_cfg, model)

    runner_module.Runner.wrap_model = wrap
