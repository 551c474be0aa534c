# Copyright (c) mmzedo contributors. All rights reserved.
"""Turn 17-joint world motion capture into mmpose's Human3.6M format.

The output is exactly what :class:`mmpose.datasets.Human36mDataset` reads
(see mmpose's ``tools/dataset_converters/preprocess_h36m.py``)::

    <out_dir>/annotation_body3d/fps<k>/<name>_{train,test}.npz
        imgname  str  [N]        S<subj>/S<subj>_<Action>.<cam>/..._<frame>.jpg
        center   f64  [N, 2]     bounding-box centre (px)
        scale    f64  [N]        1.2 * max(bbox w, h) / 200
        part     f64  [N, 17, 3] pixels + visibility
        S        f64  [N, 17, 4] camera-frame metres + visibility
    <out_dir>/annotation_body3d/cameras.pkl   {(subject, cam_id): R,T,c,f,..}
    <out_dir>/joint_2d_det_files/<name>_{train,test}.npy   [N, 17, 3]
    <out_dir>/meta.json                        what was made, and from what

Everything is deterministic given ``seed``.
"""
import contextlib
import hashlib
import json
import os.path as osp
import pickle
import re
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmzedo.utils.skeleton import (ANKLES, FLIP_INDICES, H36M_BONE_LENGTHS,
                                   NUM_JOINTS, PARENTS)
from mmzedo.utils.safe_io import (atomic_path, check_file_name, check_number,
                                  refuse_overwriting_inputs,
                                  refuse_replacing_outputs)

from .io import MocapFormatError, check_world_joints, load_mocap
from .rigs import build_rig, camera_to_pixel, world_to_camera

#: Y-up (mocap) to Z-up (Human3.6M world): a +90 deg rotation about X.
Y_UP_TO_Z_UP = np.array([[1., 0., 0.], [0., 0., -1.], [0., 1., 0.]])

#: Per-joint 2D noise of the detector simulation, as a fraction of the
#: bounding-box size (extremities are noisier than the torso).
DET_JOINT_SIGMA = np.array([
    0.010, 0.014, 0.014, 0.018, 0.014, 0.014, 0.018, 0.012, 0.011, 0.012,
    0.014, 0.013, 0.016, 0.020, 0.013, 0.016, 0.020
])


def retarget_bone_lengths(poses: np.ndarray,
                          lengths: np.ndarray = H36M_BONE_LENGTHS,
                          scale: float = 1.0) -> np.ndarray:
    """Give poses ``[..., 17, 3]`` new bone lengths, keeping every bone's
    direction and the root position.

    Args:
        poses: Poses in metres.
        lengths: Target length of each bone, indexed by child joint.
        scale: Multiplies all target lengths (body size).
    """
    poses = np.asarray(poses, dtype=np.float64)
    out = np.empty_like(poses)
    out[..., 0, :] = poses[..., 0, :]
    for j in range(1, NUM_JOINTS):  # parents come before children
        p = PARENTS[j]
        bone = poses[..., j, :] - poses[..., p, :]
        norm = np.linalg.norm(bone, axis=-1, keepdims=True)
        direction = bone / np.maximum(norm, 1e-9)
        out[..., j, :] = out[..., p, :] + direction * lengths[j] * scale
    return out


#: Human3.6M's "neck/nose" joint (9) leans this far forward of the line
#: from the thorax to the head top (measured on the four Human3.6M frames
#: of mmpose's test data: 23.5-53.4 deg, 39.8 on average).
NOSE_FORWARD_DEG = 40.0


def h36m_joint_definitions(poses: np.ndarray,
                           lengths: Optional[np.ndarray] = H36M_BONE_LENGTHS,
                           nose_forward_deg: float = NOSE_FORWARD_DEG
                           ) -> np.ndarray:
    """Re-place the joints that motion-capture rigs define in their own
    way where Human3.6M places them.

    - The pelvis (root) is the midpoint of the hips, as in Human3.6M's
      annotation and mmpose's COCO -> Human3.6M conversion (mocap rigs put
      their root 2-11 cm above the hip joints).
    - Joint 9 is the nose, ``nose_forward_deg`` forward of the line from
      the thorax to the head top (mocap rigs give a neck joint on that
      line), and the head top stays on that line.

    Limbs, spine and shoulders keep their directions. Works on any
    ``[..., 17, 3]`` in metres, in any frame (forward is found from the
    shoulders and the head, not from an axis).

    Args:
        poses: Poses ``[..., 17, 3]`` in metres.
        lengths: Bone lengths to give the result
            (:func:`retarget_bone_lengths`; default Human3.6M's). ``None``
            keeps each pose's own: its limbs and joints stay where they
            are, and nose and head top keep its neck's bone lengths.
        nose_forward_deg: The nose's angle forward of the thorax -> head
            top line.
    """
    P = np.array(poses, dtype=np.float64)
    if P.ndim < 2 or P.shape[-2:] != (NUM_JOINTS, 3):
        raise ValueError(f'poses must be [..., {NUM_JOINTS}, 3], got '
                         f'{list(P.shape)}.')

    def unit(v):
        return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True),
                              1e-9)

    if lengths is None:
        neck = np.linalg.norm(P[..., 9, :] - P[..., 8, :], axis=-1)[..., None]
        head = np.linalg.norm(P[..., 10, :] - P[..., 9, :],
                              axis=-1)[..., None]
    else:
        neck, head = lengths[9], lengths[10]
    P[..., 0, :] = (P[..., 1, :] + P[..., 4, :]) / 2
    thorax = P[..., 8, :]
    left = unit(P[..., 11, :] - P[..., 14, :])
    up = P[..., 10, :] - thorax
    up = unit(up - (up * left).sum(-1, keepdims=True) * left)
    forward = np.cross(left, up)
    a = np.deg2rad(nose_forward_deg)
    rise, ahead = neck * np.cos(a), neck * np.sin(a)
    P[..., 9, :] = thorax + rise * up + ahead * forward
    # the head top on the thorax's line, one neck-head bone from the nose
    top = rise + np.sqrt(np.maximum(head**2 - ahead**2, 0.0))
    P[..., 10, :] = thorax + top * up
    return P if lengths is None else retarget_bone_lengths(P, lengths)


def split_by_travel(seq: np.ndarray, max_radius: float,
                    min_frames: int) -> List[np.ndarray]:
    """Cut a sequence ``[T, 17, 3]`` (Z up) into pieces whose pelvis stays
    within ``max_radius`` (horizontally) of the piece's first frame, so that
    each piece fits the capture area. Pieces shorter than ``min_frames`` are
    dropped."""
    pieces, start = [], 0
    xy = seq[:, 0, :2]
    for t in range(1, len(seq) + 1):
        if t == len(seq) or np.linalg.norm(xy[t] - xy[start]) > max_radius:
            if t - start >= min_frames:
                pieces.append(seq[start:t])
            start = t
    return pieces


def place_in_area(seq: np.ndarray, rng: np.random.Generator,
                  area: Sequence[float], ankle_height: float) -> np.ndarray:
    """Put a sequence ``[T, 17, 3]`` (Z up) in the capture area: random
    heading about the vertical, the pelvis path's centre at a random point
    of ``[-area[0]/2, area[0]/2] x [-area[1]/2, area[1]/2]``, and the feet on
    the floor (the lowest ankle over the sequence at ``ankle_height``)."""
    yaw = rng.uniform(-np.pi, np.pi)
    c, s = np.cos(yaw), np.sin(yaw)
    rot = np.array([[c, -s, 0.], [s, c, 0.], [0., 0., 1.]])
    centre = seq[:, 0, :].mean(axis=0)
    out = (seq - centre) @ rot.T
    target = np.array([
        rng.uniform(-area[0] / 2, area[0] / 2),
        rng.uniform(-area[1] / 2, area[1] / 2), 0.
    ])
    out = out + target
    lowest = np.percentile(out[:, ANKLES, 2].min(axis=1), 2)
    out[..., 2] += ankle_height - lowest
    return out


def simulate_detections(part: np.ndarray, video_ids: np.ndarray,
                        rng: np.random.Generator, noise_scale: float = 1.0,
                        outlier_rate: float = 0.02,
                        swap_rate: float = 0.005,
                        temporal_corr: float = 0.7) -> np.ndarray:
    """Detector-like 2D keypoints ``[N, 17, 3]`` (x, y, confidence) from
    ground-truth 2D ``part`` ``[N, 17, >=2]``.

    Noise is Gaussian, per joint, proportional to the bounding-box size and
    correlated in time within a video (AR(1)); a few joints jump far away
    (outliers) and a few frames swap left and right limbs, as real 2D
    detectors do. Confidences fall with the error.
    """
    xy = part[..., :2].astype(np.float64)
    n = len(xy)
    size = (xy.max(axis=1) - xy.min(axis=1)).max(axis=1)  # [N]
    sigma = noise_scale * DET_JOINT_SIGMA[None, :, None] * size[:, None, None]
    white = rng.standard_normal(xy.shape)
    noise = np.empty_like(white)
    new_video = np.r_[True, video_ids[1:] != video_ids[:-1]]
    a, b = temporal_corr, np.sqrt(1 - temporal_corr**2)
    for i in range(n):
        noise[i] = (white[i] if new_video[i] else
                    a * noise[i - 1] + b * white[i])
    det = xy + noise * sigma
    # Left/right confusion of whole frames.
    swap = rng.random(n) < swap_rate
    det[swap] = det[swap][:, FLIP_INDICES]
    # Far outliers of single joints.
    out = rng.random((n, NUM_JOINTS)) < outlier_rate
    ang = rng.uniform(0, 2 * np.pi, out.shape)
    dist = rng.uniform(0.1, 0.3, out.shape) * size[:, None]
    jump = np.stack([np.cos(ang), np.sin(ang)], -1) * dist[..., None]
    det[out] += jump[out]
    err = np.linalg.norm(det - xy, axis=-1) / size[:, None]
    conf = np.clip(0.97 - 2.0 * err + 0.03 * rng.standard_normal(err.shape),
                   0.05, 1.0)
    return np.concatenate([det, conf[..., None]], axis=-1)


def _action_category(seq_name: str, group: str,
                     action_pattern: Optional[str] = None) -> str:
    """A CamelCase action category from a sequence name (mmpose's MPJPE
    reports per category: the part of the action before ``_``).
    ``action_pattern``: a regular expression whose first group is the
    action within the name (default: the name less a leading group)."""
    if action_pattern is not None:
        m = re.search(action_pattern, seq_name)
        if m is None or not m.groups():
            raise ValueError(f'action_pattern {action_pattern!r} finds no '
                             f'action (its first group) in sequence name '
                             f'{seq_name!r}.')
        seq_name = group = m.group(1)
    name = seq_name[len(group) + 1:] if seq_name.startswith(
        group + '-') else seq_name
    words = re.findall(r'[A-Za-z]+', name) or re.findall(
        r'[A-Za-z0-9]+', group) or ['Motion']
    return ''.join(w.capitalize() for w in words)


def _parse_split_spec(specs: Optional[Sequence[str]]) -> Dict[str, set]:
    """``['src:g1,g2', 'g3']`` -> ``{'src': {'g1','g2'}, '*': {'g3'}}``."""
    out = defaultdict(set)
    for spec in specs or []:
        src, _, groups = spec.rpartition(':')
        out[src or '*'].update(g for g in groups.split(',') if g)
    return out


def _same_camera(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a)


def merge_cameras(path: str, cameras: dict, replace: bool = False) -> dict:
    """``cameras`` plus those already in ``path`` (a ``cameras.pkl`` that
    earlier runs' annotation files point at). A camera key present in both
    with other parameters is an error unless ``replace``."""
    if not osp.isfile(path):
        return cameras
    try:
        with open(path, 'rb') as f:
            old = pickle.load(f)
        assert isinstance(old, dict)
    except Exception as e:  # noqa: BLE001 - re-raised with context
        raise ValueError(f'{path}: an existing cameras.pkl that cannot be '
                         f'read ({e!r}); move it away first.')
    clash = sorted(k for k in cameras
                   if k in old and not _same_camera(old[k], cameras[k]))
    if clash and not replace:
        raise ValueError(
            f'{path} already holds other parameters for cameras {clash[:4]}'
            ' that earlier annotation files use; write to another '
            '--out-dir, or pass replace_cameras=True (--replace-cameras).')
    return {**old, **cameras}


def convert_mocap(inputs: Sequence[str],
                  out_dir: str,
                  name: str = 'mocap',
                  rig: str = 'h36m-like',
                  test_groups: Optional[Sequence[str]] = None,
                  test_seqs: Optional[Sequence[str]] = None,
                  splits: Sequence[str] = ('train', 'test'),
                  action_pattern: Optional[str] = None,
                  fps: Optional[float] = None,
                  retarget: bool = False,
                  joint_definitions: Optional[str] = None,
                  body_scale_std: float = 0.05,
                  area: Sequence[float] = (1.6, 1.2),
                  max_travel: float = 1.0,
                  min_frames: int = 5,
                  ankle_height: float = 0.08,
                  detections: bool = True,
                  det_noise_scale: float = 1.0,
                  seed: int = 0,
                  replace_cameras: bool = False,
                  overwrite: bool = False,
                  up_axis: str = 'y',
                  verbose: bool = True) -> dict:
    """Convert motion-capture files into mmpose's Human3.6M format.

    Args:
        inputs: ``.npz`` files with ``joints`` [N,17,3] (world metres, Y up)
            and ``seq_lengths``; ``seq_names``, ``seq_groups``, ``fps``
            optional.
        out_dir: Output root (mmpose's ``data_root``).
        name: Annotation file stem (``<name>_train.npz``).
        rig: Camera rig name (see :data:`CAMERA_RIGS`).
        test_groups: Groups in the test split, as ``'group'`` or
            ``'source:group1,group2'`` (source = input file stem).
        test_seqs: Sequence names in the test split (alternative to, or on
            top of, ``test_groups``).
        splits: The splits to write (``'train'``, ``'test'`` or both);
            sequences of the others are skipped.
        action_pattern: A regular expression whose first group is the
            action in a sequence name (its CamelCase form is the action
            category in ``imgname``); default: the name less its group.
        fps: Target frame rate; sequences are sub-sampled by the nearest
            integer step. ``None`` keeps the source rate.
        retarget: Retarget bone lengths to Human3.6M's, keeping directions.
        joint_definitions: ``'h36m'`` places the pelvis and joint 9 where
            Human3.6M's annotation has them (:func:`h36m_joint_definitions`:
            the pelvis at the hips' midpoint, joint 9 the nose), keeping
            the bone lengths (with ``retarget``: Human3.6M's times the
            sequence's body scale; without: the capture's own). ``None``
            keeps the rig's own placement of those joints.
        body_scale_std: Std of the random body scale (per sequence) used
            with ``retarget``.
        area: Size (m) of the area the pelvis path's centre is put in.
        max_travel: Sequences that travel further than this (m) from where
            they start are cut into pieces.
        min_frames: Shortest piece kept.
        ankle_height: Height of the lowest ankle above the floor (m).
        detections: Also write detector-like 2D.
        det_noise_scale: Multiplies the detector noise.
        seed: Random seed.
        replace_cameras: Allow replacing cameras of the same id with other
            parameters in an existing ``cameras.pkl`` (other cameras there
            are always kept).
        overwrite: Allow replacing existing annotation, detection and
            ``meta.json`` files of the same ``name`` (``cameras.pkl`` is
            merged, see ``replace_cameras``).
        up_axis: The axis that points up in the inputs' world frame:
            ``'y'`` (checked) or ``'z'`` (turned to Y-up first).

    Outputs never replace an input, and are written atomically (all of
    them are complete before any is renamed into place).

    Returns:
        dict: Summary written to ``meta.json``.
    """
    check_file_name(name, 'name')
    if joint_definitions not in (None, 'h36m'):
        raise ValueError(f"joint_definitions={joint_definitions!r}: use "
                         "'h36m' (Human3.6M's pelvis and nose) or None (the "
                         "rig's own).")
    if fps is not None:
        check_number(fps, 'fps', 0, exclusive=True)
    check_number(body_scale_std, 'body_scale_std', 0)
    check_number(det_noise_scale, 'det_noise_scale', 0)
    check_number(max_travel, 'max_travel', 0, exclusive=True)
    check_number(min_frames, 'min_frames', 1)
    splits = tuple(splits)
    if not splits or set(splits) - {'train', 'test'}:
        raise ValueError(f'splits must be train, test or both, got '
                         f'{list(splits)}.')
    if action_pattern is not None:
        re.compile(action_pattern)
    if len(area) != 2:
        raise ValueError(f'area must be two sizes (m), got {area}.')
    for a in area:
        check_number(a, 'area', 0, exclusive=True)
    rng = np.random.default_rng(seed)
    cams = build_rig(rig)
    groups_for_test = _parse_split_spec(test_groups)
    seqs_for_test = set(test_seqs or [])
    if not groups_for_test and not seqs_for_test:
        raise ValueError('No test split given: pass test_groups or '
                         'test_seqs (a train/test split is required).')
    records = {split: defaultdict(list) for split in splits}
    subjects, n_dropped, n_total, out_fps = {}, 0, 0, set()
    action_counter = defaultdict(int)
    seen = {}  # content digest -> the input that had it
    for path in inputs:
        data = load_mocap(path, up_axis)
        src = data['source']
        key = hashlib.sha256(data['joints'].tobytes()).hexdigest()
        if key in seen:
            raise ValueError(
                f'{path} holds the same motion as {seen[key]} (an input given '
                'twice): every sample would be duplicated; pass each file '
                'once.')
        seen[key] = path
        step = 1 if fps is None else max(1, int(round(data['fps'] / fps)))
        out_fps.add(int(round(data['fps'] / step)))
        joints = data['joints'] @ Y_UP_TO_Z_UP.T
        bounds = np.r_[0, np.cumsum(data['seq_lengths'])]
        for i, (seq_name, group) in enumerate(
                zip(data['seq_names'], data['seq_groups'])):
            split = ('test' if group in groups_for_test.get(src, ()) or
                     group in groups_for_test.get('*', ()) or
                     seq_name in seqs_for_test else 'train')
            seq = joints[bounds[i]:bounds[i + 1]:step]
            lengths = None
            if retarget:
                scale = float(
                    np.clip(1 + body_scale_std * rng.standard_normal(), 0.8,
                            1.2))
                seq = retarget_bone_lengths(seq, scale=scale)
                lengths = H36M_BONE_LENGTHS * scale
            if joint_definitions == 'h36m':
                # after the retargeting: the hips' midpoint of the
                # retargeted legs, as PoseTargetDataset(joint_definitions=
                # 'h36m') moves a build in the rigs' definitions
                seq = h36m_joint_definitions(seq, lengths)
            if split not in records:
                continue
            subj = subjects.setdefault(
                (src, group), f'S{len(subjects) + 1}')
            category = _action_category(seq_name, group, action_pattern)
            for piece in split_by_travel(seq, max_travel, min_frames):
                piece = place_in_area(piece, rng, area, ankle_height)
                action_counter[(subj, category)] += 1
                action = f'{category}_{action_counter[(subj, category)]}'
                for cam in cams:
                    s_cam = world_to_camera(piece, cam)
                    uv = camera_to_pixel(s_cam, cam)
                    ok = ((s_cam[..., 2] > 0.1).all(-1) &
                          (uv >= 0).all((-1, -2)) &
                          (uv[..., 0] < cam['w']).all(-1) &
                          (uv[..., 1] < cam['h']).all(-1))
                    n_total += len(ok)
                    n_dropped += int((~ok).sum())
                    if not ok.any():
                        continue
                    frames = np.nonzero(ok)[0]
                    base = f'{subj}_{action}.{cam["id"]}'
                    rec = records[split]
                    rec['imgname'].extend(
                        f'{subj}/{base}/{base}_{t + 1:06d}.jpg'
                        for t in frames)
                    rec['S'].append(s_cam[frames])
                    rec['part'].append(uv[frames])
                    rec['video'].extend([len(rec['S'])] * len(frames))
    if len(out_fps) != 1:
        raise ValueError(f'Inputs end up at different frame rates {out_fps}; '
                         'pass fps= to sub-sample them to one rate.')
    k = out_fps.pop()
    ann_dir = osp.join(out_dir, 'annotation_body3d')
    summary = dict(
        name=name, rig=rig, fps=k, seed=seed, retarget=retarget,
        joint_definitions=joint_definitions or 'rig', splits=list(splits),
        build=dict(inputs=[osp.basename(p) for p in inputs], name=name,
                   fps=fps, retarget=retarget, seed=seed,
                   joint_definitions=joint_definitions,
                   test_groups=list(test_groups or []),
                   splits=list(splits)),
        inputs=[osp.basename(p) for p in inputs],
        subjects={s: f'{src}:{g}' for (src, g), s in subjects.items()},
        dropped_out_of_view=n_dropped, total=n_total, files={})
    # Everything is computed first, then written to temporary files that
    # are renamed only once all of them are complete.
    outputs = {}  # path -> (writer, payload)
    for split, rec in records.items():
        if not rec['S']:
            raise ValueError(f'The {split} split is empty: check the split '
                             'groups/sequences against the inputs.')
        S = np.concatenate(rec['S'])
        part = np.concatenate(rec['part'])
        ones = np.ones(S.shape[:2] + (1, ))
        lo, hi = part.min(axis=1), part.max(axis=1)
        ann_file = osp.join(ann_dir, f'fps{k}', f'{name}_{split}.npz')
        outputs[ann_file] = ('npz', dict(
            imgname=np.array(rec['imgname']),
            center=(lo + hi) / 2,
            scale=1.2 * (hi - lo).max(axis=1) / 200,
            part=np.concatenate([part, ones], axis=-1),
            S=np.concatenate([S, ones], axis=-1)))
        files = dict(annotation=osp.relpath(ann_file, out_dir), num=len(S))
        if detections:
            det = simulate_detections(part, np.asarray(rec['video']), rng,
                                      noise_scale=det_noise_scale)
            det_file = osp.join(out_dir, 'joint_2d_det_files',
                                f'{name}_{split}.npy')
            outputs[det_file] = ('npy', det.astype(np.float32))
            files['detection'] = osp.relpath(det_file, out_dir)
        summary['files'][split] = files
    cam_file = osp.join(ann_dir, 'cameras.pkl')
    cameras = {(subj, cam['id']): cam
               for subj in subjects.values() for cam in cams}
    outputs[cam_file] = ('pickle', merge_cameras(cam_file, cameras,
                                                 replace_cameras))
    outputs[osp.join(out_dir, 'meta.json')] = ('json', summary)
    refuse_overwriting_inputs(outputs, inputs)
    # cameras.pkl is merged and meta.json records the latest run; the
    # files of this name are refused unless asked for.
    shared = ('cameras.pkl', 'meta.json')
    refuse_replacing_outputs(
        [p for p in outputs if osp.basename(p) not in shared], overwrite,
        'pass another --name or --out-dir')
    with contextlib.ExitStack() as stack:
        for path, (kind, payload) in outputs.items():
            tmp = stack.enter_context(
                atomic_path(path, suffix='.npz' if kind == 'npz' else ''))
            if kind == 'npz':
                np.savez(tmp, **payload)
            elif kind == 'npy':
                with open(tmp, 'wb') as f:
                    np.save(f, payload)
            elif kind == 'pickle':
                with open(tmp, 'wb') as f:
                    pickle.dump(payload, f)
            else:
                with open(tmp, 'w') as f:
                    json.dump(payload, f, indent=2)
    if verbose:
        files = summary['files']
        counts = ', '.join(f'{split} {files[split]["num"]}'
                           for split in splits)
        print(f'[mocap_to_h36m] {rig}: {counts} samples at {k} fps; '
              f'{n_dropped}/{n_total} camera frames out of view dropped '
              f'-> {out_dir}')
    return summary


__all__ = [
    'MocapFormatError', 'check_world_joints', 'convert_mocap',
    'place_in_area', 'retarget_bone_lengths', 'simulate_detections',
    'split_by_travel'
]
