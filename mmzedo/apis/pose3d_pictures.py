# Copyright (c) mmzedo contributors. All rights reserved.
"""Pictures of lifted people with mmpose's ``Pose3dLocalVisualizer``: the
Human3.6M-17 2D over the image (or a blank canvas) next to the 3D poses."""
import os.path as osp
from typing import List, Optional

import numpy as np


def build_visualizer():
    """A ``Pose3dLocalVisualizer`` set up for Human3.6M-17 in 2D and 3D."""
    from mmengine.visualization import Visualizer
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    from mmpose.visualization import Pose3dLocalVisualizer
    meta = parse_pose_metainfo(
        dict(from_file='configs/_base_/datasets/h36m.py'))
    name = 'mmzedo_pose3d'
    vis = (Visualizer.get_instance(name) if name in
           Visualizer._instance_dict else Pose3dLocalVisualizer.get_instance(
               name,
               line_width=3,
               radius=5,
               det_kpt_color=meta['keypoint_colors'],
               det_dataset_skeleton=meta['skeleton_links'],
               det_dataset_link_color=meta['skeleton_link_colors']))
    vis.set_dataset_meta(meta)
    return vis


def camera_to_plot(keypoints: np.ndarray) -> np.ndarray:
    """Camera-frame poses (x right, y down, z forward) [N, J, 3] to the
    visualizer's axes (z up, feet on the ground), as mmpose's 3D demo
    does."""
    k = keypoints[..., [0, 2, 1]].copy()
    k[..., 0] = -k[..., 0]
    k[..., 2] = -k[..., 2]
    k[..., 2] -= k[..., 2].min(-1, keepdims=True)
    return k


def draw_frame(frame, image: Optional[np.ndarray], out_file: str,
               visualizer=None) -> Optional[np.ndarray]:
    """Draw one lifted frame (a ``PoseDataSample`` of
    :func:`~mmzedo.apis.wild_lifting.lift_pose2d`; lifted people only);
    ``image`` RGB, or None for a white canvas. Returns the RGB drawing, or
    None when nobody in the frame was lifted."""
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample
    inst = frame.pred_instances
    lifted = np.flatnonzero(inst.lifted) if 'lifted' in inst else []
    if not len(lifted):
        return None
    vis = visualizer or build_visualizer()
    kp2d = inst.keypoints[lifted].astype(np.float32)
    sc2d = inst.keypoint_scores[lifted].astype(np.float32)
    if image is None:
        shape = frame.ori_shape
        w = int(shape[1] if shape else kp2d[..., 0].max() + 50)
        h = int(shape[0] if shape else kp2d[..., 1].max() + 50)
        image = np.full((h, w, 3), 255, dtype=np.uint8)
    k3d = inst.keypoints_3d[lifted] - inst.translation[lifted][:, None]
    k3d = camera_to_plot(k3d).astype(np.float32)
    det = PoseDataSample()
    det.pred_instances = InstanceData(keypoints=kp2d, keypoint_scores=sc2d)
    # mmpose 1.3.2's visualizer mis-shapes its 3D canvas for more than one
    # instance, so each person's 3D panel is drawn by its own call: the
    # first call also draws everyone's 2D over the image.
    panels = []
    for i in range(len(lifted)):
        pred = PoseDataSample()
        pred.pred_instances = InstanceData(
            keypoints=k3d[i:i + 1],
            keypoint_scores=np.ones((1, k3d.shape[1]), dtype=np.float32))
        panels.append(vis.add_datasample(
            frame.img_path or 'frame', image, pred,
            det_data_sample=det if i == 0 else None, draw_2d=i == 0,
            draw_gt=False, dataset_2d='h36m', dataset_3d='h36m',
            kpt_thr=0.01, axis_limit=2.0))
    drawing = np.concatenate(panels, axis=1)
    import mmcv
    mmcv.imwrite(drawing[..., ::-1], out_file)
    return drawing


def contact_sheet(drawings: List[np.ndarray], out_file: str,
                  columns: int = 4, width: int = 1600) -> None:
    """Tile RGB drawings (a sequence's frames) into one picture."""
    import mmcv
    cell_w = width // columns
    cells = [
        mmcv.imresize(d, (cell_w, max(1, d.shape[0] * cell_w // d.shape[1])))
        for d in drawings
    ]
    cell_h = max(c.shape[0] for c in cells)
    rows = -(-len(cells) // columns)
    sheet = np.full((rows * cell_h, columns * cell_w, 3), 255, np.uint8)
    for i, c in enumerate(cells):
        r, k = divmod(i, columns)
        sheet[r * cell_h:r * cell_h + c.shape[0],
              k * cell_w:(k + 1) * cell_w] = c
    mmcv.imwrite(sheet[..., ::-1], out_file)


def image_rgb(path: Optional[str]) -> Optional[np.ndarray]:
    if path is None or not osp.isfile(path):
        return None
    import mmcv
    return mmcv.imread(path, channel_order='rgb')


def write_gif(drawings: List[np.ndarray], out_file: str,
              fps: float = 10.) -> None:
    """An animated GIF of RGB drawings (a sequence's frames), each scaled to
    the first one's size, written atomically."""
    from PIL import Image

    from mmzedo.utils.safe_io import atomic_path
    h, w = drawings[0].shape[:2]
    frames = [Image.fromarray(d).resize((w, h)) for d in drawings]
    with atomic_path(out_file) as tmp:
        frames[0].save(tmp, format='GIF', save_all=True,
                       append_images=frames[1:], loop=0,
                       duration=int(1000 / max(fps, 1e-3)))
