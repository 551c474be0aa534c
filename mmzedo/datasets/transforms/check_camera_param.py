# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Dict, Sequence

from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CheckCameraParam(BaseTransform):
    """Name the dataset setting a lifter needs when a sample has no camera
    parameters, before mmpose's codecs assert on them deep in the pipeline.

    mmpose's 3D datasets (``Human36mDataset``) fill ``camera_param`` from
    their ``camera_param_file``; without it a lifting codec stops with
    "Camera parameter `w` and `h` should be provided", and ZeDO has no
    intrinsics to lift with.

    Required keys:
        - camera_param (dict with ``keys``)

    Args:
        keys (Sequence[str]): The camera parameters each sample must have.
            Defaults to ``('w', 'h')``, what the codecs need (ZeDO estimates
            ``f`` with the principal point at the image centre where only
            the size is known, as in mmpose's inferencer).
    """

    def __init__(self, keys: Sequence[str] = ('w', 'h')):
        self.keys = tuple(keys)

    def transform(self, results: Dict) -> Dict:
        cam = results.get('camera_param')
        missing = [k for k in self.keys
                   if not isinstance(cam, dict) or k not in cam]
        if missing:
            raise ValueError(
                f'Sample {results.get("img_path") or results.get("id")}: '
                f'no camera parameters {missing}: set camera_param_file '
                "in the dataset config (e.g. camera_param_file="
                "'annotation_body3d/cameras.pkl', the cameras of the "
                'annotation file, as mmpose\'s Human36mDataset reads them).')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(keys={self.keys})'
