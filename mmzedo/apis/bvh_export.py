# Copyright (c) mmzedo contributors. All rights reserved.
"""BVH export of lifted Human3.6M-17 poses, for animation tools.

The hierarchy is Human3.6M's kinematic tree
(:data:`mmzedo.utils.skeleton.PARENTS`, joints named as
:data:`~mmzedo.utils.skeleton.JOINT_NAMES`). Its rest pose has the
track's median bone lengths, each limb bone along its direction in a
T-like rest pose (:data:`REST_DIRECTIONS`); the hips and spine about the
pelvis, and the neck and shoulders about the thorax, keep the track's
own mean shape (turned to that rest pose).
Per frame, every joint's rotation turns its bones in the rest pose onto
the lifted ones (the least-squares rotation of its child bones; a single
bone by the shortest arc), as Euler angles in ``ZXY`` order.

ZeDO does not hold bone lengths fixed from frame to frame, so each joint
also carries position channels (its offset from its parent in the
parent's frame): the file reproduces the lifted joints exactly (float
rounding), and a tool that ignores them still sees the rotations.

Frame and units: BVH's usual Y-up frame, seen from the camera
(``x`` right, ``y`` up, ``z`` towards the camera: the camera frame turned
180 degrees about ``x``), in centimetres, the root at the lifted
translation. Written here in plain text: the format is small, and the
BVH libraries on PyPI either pull in GL maths packages or cannot write
position channels on every joint; the tests read the files back with
``bvhio``, an independent parser.
"""
import numpy as np

from mmzedo.utils.safe_io import atomic_path, refuse_replacing_outputs
from mmzedo.utils.skeleton import JOINT_NAMES, PARENTS

#: Unit direction of each joint's bone from its parent in the rest pose
#: (Y up, X the person's left; the person faces +Z, towards the camera).
REST_DIRECTIONS = np.array([
    [0, 0, 0],  # pelvis (root)
    [-1, 0, 0], [0, -1, 0], [0, -1, 0],  # right leg
    [1, 0, 0], [0, -1, 0], [0, -1, 0],  # left leg
    [0, 1, 0], [0, 1, 0], [0, 1, 0], [0, 1, 0],  # spine, thorax, neck, head
    [1, 0, 0], [1, 0, 0], [1, 0, 0],  # left arm
    [-1, 0, 0], [-1, 0, 0], [-1, 0, 0],  # right arm
], dtype=np.float64)
CAMERA_TO_BVH = np.diag([1., -1., -1.])
CHILDREN = [np.nonzero(PARENTS == j)[0] for j in range(len(PARENTS))]


def _rotation_onto(rest: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The rotation [3, 3] that turns the vectors ``rest`` [K, 3] onto
    ``target`` [K, 3]: Kabsch for K >= 2, the shortest arc for one."""
    from scipy.spatial.transform import Rotation
    if len(rest) == 1:
        a = rest[0] / np.linalg.norm(rest[0])
        b = target[0] / max(np.linalg.norm(target[0]), 1e-12)
        axis = np.cross(a, b)
        s, c = np.linalg.norm(axis), float(a @ b)
        if s < 1e-12:
            if c > 0:
                return np.eye(3)
            # opposite: half a turn about any axis normal to a
            ortho = np.cross(a, [1., 0., 0.] if abs(a[0]) < 0.9 else
                             [0., 1., 0.])
            return Rotation.from_rotvec(
                np.pi * ortho / np.linalg.norm(ortho)).as_matrix()
        return Rotation.from_rotvec(axis / s * np.arctan2(s, c)).as_matrix()
    return Rotation.align_vectors(target, rest)[0].as_matrix()


def _sibling_shape(vectors: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """The mean shape of a joint's child bones ``vectors`` [L, K, 3] over
    the frames (each frame turned onto the first), turned to the T-like
    ``rest`` [K, 3] and scaled to its bone lengths: rotations alone then
    fit these bones as well as the body is rigid there."""
    mean = np.mean([v @ _rotation_onto(v, vectors[0]).T for v in vectors],
                   axis=0)
    shape = mean @ _rotation_onto(mean, rest).T
    return shape * (np.linalg.norm(rest, axis=1) /
                    np.linalg.norm(shape, axis=1))[:, None]


def bvh_motion(poses: np.ndarray):
    """Rest offsets [J, 3] and channel values [L, J * 6] (cm, degrees) of
    camera-frame poses [L, J, 3] (metres, translation included)."""
    from scipy.spatial.transform import Rotation
    poses = np.asarray(poses, dtype=np.float64) @ CAMERA_TO_BVH.T * 100.
    bones = poses[:, 1:] - poses[:, PARENTS[1:]]
    lengths = np.median(np.linalg.norm(bones, axis=-1), axis=0)
    offsets = np.zeros((len(PARENTS), 3))
    offsets[1:] = REST_DIRECTIONS[1:] * lengths[:, None]
    for j, kids in enumerate(CHILDREN):
        if len(kids) > 1:  # pelvis, thorax: the track's own shape
            offsets[kids] = _sibling_shape(poses[:, kids] - poses[:, j:j + 1],
                                           offsets[kids])
    channels = np.zeros((len(poses), len(PARENTS), 6))
    for n, pose in enumerate(poses):
        world = np.zeros((len(PARENTS), 3, 3))
        for j in range(len(PARENTS)):
            kids = CHILDREN[j]
            if len(kids):
                world[j] = _rotation_onto(offsets[kids],
                                          pose[kids] - pose[j])
            else:  # an end joint keeps its parent's orientation
                world[j] = world[PARENTS[j]]
            parent = PARENTS[j]
            if parent < 0:
                local, position = world[j], pose[j]
            else:
                local = world[parent].T @ world[j]
                position = world[parent].T @ (pose[j] - pose[parent])
            zxy = Rotation.from_matrix(local).as_euler('ZXY', degrees=True)
            channels[n, j] = np.concatenate([position, zxy])
    return offsets, channels.reshape(len(poses), -1)


def _hierarchy(offsets: np.ndarray) -> list:
    lines = []

    def joint(j, depth):
        pad = '  ' * depth
        kind = 'ROOT' if PARENTS[j] < 0 else 'JOINT'
        lines.append(f'{pad}{kind} {JOINT_NAMES[j]}')
        lines.append(f'{pad}{{')
        lines.append(f'{pad}  OFFSET ' + ' '.join(
            f'{v:.6f}' for v in offsets[j]))
        lines.append(f'{pad}  CHANNELS 6 Xposition Yposition Zposition '
                     'Zrotation Xrotation Yrotation')
        for k in CHILDREN[j]:
            joint(k, depth + 1)
        if not len(CHILDREN[j]):
            lines.append(f'{pad}  End Site')
            lines.append(f'{pad}  {{')
            lines.append(f'{pad}    OFFSET 0.000000 0.000000 0.000000')
            lines.append(f'{pad}  }}')
        lines.append(f'{pad}}}')

    joint(0, 0)
    return lines


def write_bvh(poses: np.ndarray, path: str, fps: float = 30.,
              overwrite: bool = False) -> str:
    """Write camera-frame Human3.6M-17 poses [L, 17, 3] (metres,
    translation included) as a BVH file (atomically).

    Args:
        poses: One track's poses, frame by frame.
        path: The ``.bvh`` file.
        fps: Frame rate (``Frame Time`` is its inverse).
        overwrite: Replace an existing file (else an error names it).
    """
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1:] != (len(PARENTS), 3):
        raise ValueError(f'BVH export needs poses [frames, {len(PARENTS)}, '
                         f'3], got {list(poses.shape)}.')
    if not len(poses) or not np.isfinite(poses).all():
        raise ValueError('BVH export needs at least one frame of finite '
                         'poses.')
    if not fps > 0:
        raise ValueError(f'BVH export: fps must be > 0, got {fps!r}.')
    refuse_replacing_outputs([path], overwrite, 'choose another path')
    offsets, channels = bvh_motion(poses)
    lines = ['HIERARCHY'] + _hierarchy(offsets) + [
        'MOTION', f'Frames: {len(channels)}', f'Frame Time: {1 / fps:.6f}']
    lines += [' '.join(f'{v:.6f}' for v in row) for row in channels]
    with atomic_path(path) as tmp:
        with open(tmp, 'w') as fh:
            fh.write('\n'.join(lines) + '\n')
    return path


def bvh_to_camera(positions_cm: np.ndarray) -> np.ndarray:
    """Joint positions read from a written file (cm, BVH frame) back in the
    camera frame (metres)."""
    return np.asarray(positions_cm) / 100. @ CAMERA_TO_BVH.T
