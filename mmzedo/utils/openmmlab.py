# Copyright (c) mmzedo contributors. All rights reserved.
"""Helpers around the OpenMMLab stack, which the core does not need."""
import importlib.util
import os.path as osp
import runpy


def has_mmpose() -> bool:
    """Whether mmpose can be imported (it is absent on bare GPU boxes,
    where the plain-torch core still works)."""
    return importlib.util.find_spec('mmpose') is not None


def run_mmpose_tool(name: str) -> None:
    """Run one of mmpose's own ``tools/*.py`` scripts (shipped inside the
    mmpose package) as ``__main__``, with mmzedo imported first."""
    import mmpose

    import mmzedo  # noqa: F401 - registers modules, fixes torch.load
    path = osp.join(osp.dirname(mmpose.__file__), '.mim', 'tools', name)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'mmpose {mmpose.__version__} does not ship tools/{name} '
            f'(looked for {path}).')
    runpy.run_path(path, run_name='__main__')
