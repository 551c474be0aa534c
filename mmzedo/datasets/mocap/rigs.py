# Copyright (c) mmzedo contributors. All rights reserved.
"""Virtual camera rigs in mmpose's Human3.6M ``cameras.pkl`` convention.

World frame: metres, Z up (as Human3.6M's world). Camera frame: x right,
y down, z forward. ``R`` is camera-to-world (columns are the camera axes in
world coordinates) and ``T`` is the camera centre in world coordinates, so
``X_cam = (X_world - T.T) @ R``, which is what
:class:`mmpose.utils.camera.SimpleCamera` does with these parameters.
"""
from typing import Dict, List

import numpy as np

#: Named rigs. Each camera: azimuth (deg, around the capture centre),
#: horizontal distance (m), lens height (m), look-at height (m), focal
#: lengths (px) and principal-point offset from the image centre (px).
CAMERA_RIGS: Dict[str, dict] = {
    # Four cameras at the corners of a ~4x3 m area, like Human3.6M's.
    'h36m-like': dict(
        image_size=(1000, 1000),
        cameras=[
            dict(azimuth=35., distance=5.2, height=1.55, look_at=0.95,
                 f=(1145.0, 1143.8), c_offset=(12.5, 15.5)),
            dict(azimuth=-40., distance=4.6, height=1.45, look_at=0.95,
                 f=(1149.7, 1147.6), c_offset=(8.2, 1.3)),
            dict(azimuth=145., distance=5.8, height=1.60, look_at=0.95,
                 f=(1149.1, 1148.8), c_offset=(19.8, 2.6)),
            dict(azimuth=-138., distance=5.0, height=1.50, look_at=0.95,
                 f=(1145.5, 1144.8), c_offset=(14.6, -14.1)),
        ]),
    # Hand-held phone: wide lens (~65 deg horizontal field of view),
    # landscape full HD, close to the subject and low.
    'phone-wide': dict(
        image_size=(1920, 1080),
        cameras=[
            dict(azimuth=10., distance=3.6, height=1.20, look_at=0.90,
                 f=(1500.0, 1500.0), c_offset=(-6.0, 4.0)),
            dict(azimuth=100., distance=3.4, height=1.10, look_at=0.90,
                 f=(1480.0, 1480.0), c_offset=(3.0, -5.0)),
            dict(azimuth=-120., distance=3.8, height=1.30, look_at=0.90,
                 f=(1520.0, 1520.0), c_offset=(0.0, 0.0)),
        ]),
    # Telephoto from far away and elevated (broadcast-like), narrow view.
    'telephoto': dict(
        image_size=(1920, 1080),
        cameras=[
            dict(azimuth=60., distance=11.0, height=2.8, look_at=0.90,
                 f=(2900.0, 2900.0), c_offset=(0.0, 0.0)),
            dict(azimuth=-75., distance=12.0, height=3.2, look_at=0.90,
                 f=(3100.0, 3100.0), c_offset=(10.0, -8.0)),
        ]),
}


def _look_at_rotation(centre: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Camera-to-world rotation of a camera at ``centre`` looking at
    ``target`` with no roll (world Z up)."""
    z = target - centre
    z = z / np.linalg.norm(z)
    x = np.cross(z, np.array([0., 0., 1.]))
    x = x / np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z], axis=1)


def build_rig(name: str) -> List[dict]:
    """Camera parameter dicts (``R, T, c, f, k, p, w, h, name, id``) of a
    named rig, in the layout of Human3.6M's ``cameras.pkl``.

    Camera ids are made of letters and digits only, so that mmpose's
    Human3.6M image-name parser reads them back.
    """
    if name not in CAMERA_RIGS:
        raise KeyError(f'Unknown camera rig "{name}"; available: '
                       f'{sorted(CAMERA_RIGS)}')
    rig = CAMERA_RIGS[name]
    w, h = rig['image_size']
    prefix = ''.join(ch for ch in name if ch.isalnum())
    cams = []
    for i, cam in enumerate(rig['cameras']):
        az = np.deg2rad(cam['azimuth'])
        centre = np.array([
            cam['distance'] * np.cos(az), cam['distance'] * np.sin(az),
            cam['height']
        ])
        R = _look_at_rotation(centre, np.array([0., 0., cam['look_at']]))
        cams.append(
            dict(
                R=R,
                T=centre.reshape(3, 1),
                c=(np.array([w / 2., h / 2.]) +
                   np.asarray(cam['c_offset'])).reshape(2, 1),
                f=np.asarray(cam['f'], dtype=np.float64).reshape(2, 1),
                k=np.zeros((3, 1)),
                p=np.zeros((2, 1)),
                w=int(w),
                h=int(h),
                name=f'camera{i + 1}',
                id=f'{prefix}{i + 1}'))
    return cams


def world_to_camera(points: np.ndarray, cam: dict) -> np.ndarray:
    """World points ``[..., 3]`` to the camera frame."""
    return (points - cam['T'].reshape(3)) @ cam['R']


def camera_to_pixel(points: np.ndarray, cam: dict) -> np.ndarray:
    """Pinhole projection of camera-frame points ``[..., 3]`` to pixels
    ``[..., 2]`` with the camera's ``f`` and ``c`` (no distortion)."""
    return (points[..., :2] / points[..., 2:3] * cam['f'].reshape(2) +
            cam['c'].reshape(2))
