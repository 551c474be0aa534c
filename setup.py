# Copyright (c) mmzedo contributors. All rights reserved.
"""mmzedo: ZeDO (diffusion-based zero-shot 3D human pose) for mmpose 1.x.

The pins live in ``requirements/*.txt``; ``tools/setup_env.sh`` installs them
in the order that works (mmcv compiled with ops, mmdet/mmpose without their
unusable deps).
"""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name):
    with open(osp.join(HERE, 'requirements', f'{name}.txt')) as f:
        return [
            line.split('#')[0].strip() for line in f
            if line.split('#')[0].strip()
        ]


def read_version():
    scope = {}
    with open(osp.join(HERE, 'mmzedo', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmzedo',
    version=read_version(),
    description='ZeDO zero-shot 3D human pose estimation as an mmpose plugin',
    packages=find_packages(include=['mmzedo', 'mmzedo.*']),
    python_requires='>=3.8',
    # The core (SDEs, score network, ZeDO optimiser, mocap converter) needs
    # only these; the mmpose integration needs the 'mmpose' extra.
    install_requires=read_requirements('torch')[:1] + ['numpy<2',
                                                       'scikit-learn'],
    extras_require=dict(
        mmpose=(read_requirements('build') + read_requirements('mmcv') +
                read_requirements('openmmlab') +
                read_requirements('runtime')),
        tests=read_requirements('tests')),
    license='Apache License 2.0',
    zip_safe=False)
