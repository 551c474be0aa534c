# Copyright (c) mmzedo contributors. All rights reserved.
import logging
import os.path as osp
import re
import warnings
from typing import List, Mapping, Optional, Sequence

import numpy as np
import torch
from mmengine.logging import print_log
from mmengine.structures import InstanceData
from mmengine.utils import ProgressBar
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import MODELS

from mmzedo.core.anchors import load_anchors
from mmzedo.core.focal_search import estimate_focal
from mmzedo.core.score_prior import ScorePrior
from mmzedo.core.inputs import ZeDOInputError, check_in_image
from mmzedo.core.solver import ZeDOSolver
from mmzedo.utils.shipped import anchor_file_for


def target_frame(info: Mapping, num_frames: int,
                 causal: Optional[bool] = None) -> int:
    """Index of the frame that mmpose's lifting target belongs to, in a
    sample of ``num_frames`` 2D frames: where ``target_img_path`` sits in
    ``img_paths`` when the info has both; else mmpose's rule (the last
    frame if ``causal``, else the centre one, ``num_frames // 2``)."""
    if num_frames == 1:
        return 0
    target, paths = info.get('target_img_path'), info.get('img_paths')
    if target is not None and paths is not None:
        target = np.asarray(target).reshape(-1)
        if len(target) != 1:
            raise ZeDOInputError(
                f'{len(target)} target frames (multiple_target): ZeDO lifts '
                'one target frame per sample.')
        paths = [str(p) for p in paths]
        if str(target[0]) in paths:
            return paths.index(str(target[0]))
    if causal is None:
        raise ZeDOInputError(
            f'A sample has {num_frames} 2D frames but neither '
            "'target_img_path' with 'img_paths' nor the dataset's 'causal' "
            'setting says which one is the target.')
    return num_frames - 1 if causal else num_frames // 2


def _camera_vector(cam: Mapping, key: str, index: int) -> np.ndarray:
    v = np.asarray(cam[key], dtype=np.float32).reshape(-1)
    if key == 'f' and v.size == 1:
        v = np.repeat(v, 2)  # one focal length for both axes
    if v.size != 2:
        raise ZeDOInputError(
            f"Sample {index}: camera_param['{key}'] must hold 2 values "
            f'(pixels; [2, 1] in mmpose), got shape {list(np.shape(cam[key]))}'
            '.')
    return v


#: Frames of one video whose people estimate its focal length (see
#: ``ZeDOHead``'s ``focal_pool``), and at most this many people of them.
POOL_FRAMES = 16
POOL_PEOPLE = 64


def video_frame(info: Mapping) -> Optional[int]:
    """The index of a video frame that mmpose's inferencers lift, -1 where
    it is unknown, or None for an image from a file: ``img_path`` absent
    (mmpose's ``body3d_pose_lifter_demo.py`` sets none) is a frame; the
    inferencer's name of a video frame (``'00000012.jpg'``, not a file)
    gives its index."""
    path = info.get('img_path')
    if path is None:
        return -1
    name = osp.basename(str(path))
    match = re.fullmatch(r'(\d+)\.jpg', name)
    if match and not osp.isfile(str(path)):
        return int(match.group(1))
    return None


def image_size(info: Mapping, keypoints: np.ndarray, scores: np.ndarray,
               index: int) -> np.ndarray:
    """(width, height) of a sample's ``camera_param``. mmpose's
    ``body3d_pose_lifter_demo.py`` passes ``frame.shape[:2]``, (height,
    width), as (w, h): where the confident 2D lies beyond the stated width
    but within the height, the two are swapped back (with a warning)."""
    cam = info['camera_param']
    w, h = float(cam['w']), float(cam['h'])
    seen = keypoints[scores > 0]
    if len(seen) and w < h:
        x_max, y_max = seen.max(0)
        if w * 1.02 < x_max <= h * 1.02 and y_max <= w * 1.02:
            warnings.warn(
                "ZeDO: the 2D lies beyond camera_param's width and within "
                'its height: taking w and h as swapped (mmpose\'s '
                'body3d_pose_lifter_demo.py passes (height, width) as (w, '
                'h)).')
            w, h = h, w
    return np.array([w, h], dtype=np.float32)


def zedo_inputs(infos: Sequence[Mapping], causal: Optional[bool] = None,
                unknown_intrinsics: bool = False):
    """ZeDO's inputs from per-sample info mappings (a data sample's
    metainfo, or a dataset's data info) holding ``keypoints`` (pixels),
    ``keypoints_visible`` (confidences) and ``camera_param`` (``f``, ``c``
    in pixels). Of a multi-frame sample, the target frame is used (see
    :func:`target_frame`; ``causal`` is the dataset's setting).

    With ``unknown_intrinsics``, a ``camera_param`` with the image size
    (``w``, ``h``) but no ``f`` and ``c`` (what mmpose's inferencer gives)
    is taken: that sample's f and c come back NaN, for
    :func:`~mmzedo.core.estimate_focal`.

    Returns:
        tuple: keypoints [B, J, 2], scores [B, J], f [B, 2], c [B, 2].
    """
    if len(infos) == 0:
        raise ZeDOInputError('Empty batch: no samples to lift.')
    kpts, scores, fs, cs = [], [], [], []
    for i, info in enumerate(infos):
        if 'keypoints' not in info or 'keypoints_visible' not in info:
            raise ZeDOInputError(
                f'Sample {i} has no 2D keypoints: add \'keypoints\' and '
                "'keypoints_visible' to PackPoseInputs' meta_keys (the "
                "VideoPoseLifting codec's packing table drops them from "
                'gt_instances).')
        cam = info.get('camera_param')
        size_only = (unknown_intrinsics and cam is not None and 'f' not in cam
                     and 'c' not in cam and cam.get('w') is not None
                     and cam.get('h') is not None)
        if not size_only and (cam is None or 'f' not in cam
                              or 'c' not in cam):
            raise ZeDOInputError(
                f'Sample {i} has no camera intrinsics: add \'camera_param\' '
                "to PackPoseInputs' meta_keys and give the dataset a "
                'camera_param_file (with f and c in pixels).')
        k = np.asarray(info['keypoints'], dtype=np.float32)
        v = np.asarray(info['keypoints_visible'], dtype=np.float32)
        if k.ndim < 2 or k.shape[-1] != 2 or v.size * 2 != k.size:
            raise ZeDOInputError(
                f'Sample {i}: keypoints {list(k.shape)} and '
                f'keypoints_visible {list(v.shape)} do not match '
                '([..., J, 2] and [..., J]).')
        k = k.reshape(-1, k.shape[-2], 2)
        t = target_frame(info, len(k), causal)
        kpts.append(k[t])
        scores.append(v.reshape(len(k), -1)[t])
        if size_only:
            spread = np.linalg.norm(k[t] - k[t].mean(0), axis=-1).max()
            if spread < 2.0:
                raise ZeDOInputError(
                    f'Sample {i}: its 2D spans {spread:.3g} px, not a '
                    "person's pixels: mmpose's inferencer normalised it to "
                    "the bounding box; call it with disable_norm_pose_2d="
                    "True (mmpose's inferencer_demo.py and "
                    'body3d_pose_lifter_demo.py: --disable-norm-pose-2d) '
                    'so that ZeDO gets the pixels.')
            fs.append(np.full(2, np.nan, np.float32))
            cs.append(np.full(2, np.nan, np.float32))
            continue
        fs.append(_camera_vector(cam, 'f', i))
        cs.append(_camera_vector(cam, 'c', i))
        if cam.get('w') is not None and cam.get('h') is not None:
            check_in_image(kpts[-1], scores[-1], cs[-1],
                           (float(cam['w']), float(cam['h'])), f'Sample {i}')
    try:
        return tuple(
            torch.from_numpy(np.stack(x)) for x in (kpts, scores, fs, cs))
    except ValueError as e:
        raise ZeDOInputError(f'2D keypoints differ in shape across the '
                             f'batch: {e}')


@MODELS.register_module()
class ZeDOHead(BaseHead):
    """ZeDO as a head of mmpose's ``PoseLifter``: zero-shot 2D-to-3D lifting
    by test-time optimisation with a pretrained score-based pose prior.

    It has no trainable parameters and ignores the backbone's features
    (use :class:`~mmzedo.models.PassThroughBackbone`): ``predict`` reads
    the 2D keypoints and confidences (``keypoints``,
    ``keypoints_visible``) and the intrinsics (``camera_param``) from the
    metainfo (see :func:`zedo_inputs`), runs the ZeDO solver
    (:meth:`mmzedo.core.ZeDOSolver.lift`) for all samples x anchors in one
    batch, and returns per sample an
    ``InstanceData`` whose ``keypoints`` [1, 17, 3] are in the frame of
    mmpose's ``lifting_target``: the root-relative pose plus the
    metainfo's ``target_root`` when present (as mmpose's lifting heads
    do), else plus ZeDO's own translation. It also carries
    ``hypotheses`` [S, 17, 3] (same frame), ``energy``,
    ``reprojection_error``, ``score_norm`` [S], ``translation`` [3] and
    the validity flag ``valid`` with ``reprojection_rel`` and
    ``bone_ratio`` (see :func:`mmzedo.core.pose_validity`), and the
    intrinsics it lifted with (``focal``, ``principal_point``,
    ``focal_estimated``, ``focal_at_search_edge``).

    Where ``camera_param`` holds only the image size (``w``, ``h``: what
    mmpose's ``MMPoseInferencer(pose3d=...)`` gives), the focal length is
    estimated (:func:`mmzedo.core.estimate_focal`, principal point at the
    image centre, one per image, its people pooled) and
    ``focal_estimated`` says so. 2D that the inferencer normalised to its
    bounding box is named (pass ``disable_norm_pose_2d=True``); the
    inferencer sets every confidence to 1. Frames of one video share one
    focal length (``focal_pool``). mmpose's ``body3d_pose_lifter_demo.py``
    passes the image size as (height, width); where the 2D lies outside
    the stated width but inside the height, the two are swapped back.

    Args:
        prior_checkpoint (str): A prior published by
            ``tools/publish_prior.py``.
        anchors (str, optional): An anchor file from
            ``tools/build_anchors.py``. Defaults to the shipped anchors
            that go with ``prior_checkpoint`` (those of its training poses;
            the default prior's for priors that did not ship:
            :func:`mmzedo.utils.shipped.anchor_file_for`).
        num_hypotheses (int, optional): Use the first ``S`` anchors
            (largest clusters). Defaults to all.
        zedo_cfg (dict): The solver's settings: nested overrides of
            :data:`mmzedo.core.ZEDO_DEFAULTS`, grouped by stage (``init``,
            ``loops``, ``scale``, ``choice``, ``valid``, ``sequence``),
            optionally of a
            preset (``preset='10-evaluations'``, see
            :data:`mmzedo.core.PRESETS`). E.g.
            ``dict(loops=dict(main=dict(steps=20)))``.
        show_progress (bool): Progress bar over the loop steps of each
            batch. Defaults to True.
        on_invalid (str): What to do when a lifted pose is flagged invalid
            (``pred_instances.valid``, see :func:`mmzedo.core.pose_validity`):
            ``'warn'`` (log a warning; default), ``'error'`` or
            ``'ignore'``.
        focal_pool (str): How samples with unknown intrinsics share a
            focal length. ``'video'`` (default): the frames of one video
            share one, estimated from the people of its first
            :data:`POOL_FRAMES` frames (re-estimated as they arrive, then
            kept). A frame belongs to a video when mmpose gave it no image
            file: ``img_path`` absent (``body3d_pose_lifter_demo.py``) or
            the inferencer's name for a video frame (``00000012.jpg``, not
            a file); frame 0 or a new image size starts another video.
            Images from files are estimated one by one, as with
            ``'image'``, which does so for every frame.
    """

    def __init__(self,
                 prior_checkpoint: str,
                 anchors: Optional[str] = None,
                 num_hypotheses: Optional[int] = None,
                 zedo_cfg: Optional[dict] = None,
                 show_progress: bool = True,
                 on_invalid: str = 'warn',
                 focal_pool: str = 'video',
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.prior = ScorePrior.from_checkpoint(prior_checkpoint)
        for p in self.prior.parameters():
            p.requires_grad_(False)
        if anchors is None:
            anchors = anchor_file_for(prior_checkpoint, num_hypotheses)
        data = load_anchors(anchors, self.prior.score_net.num_joints)
        available = len(data['anchors'])
        if num_hypotheses is not None and not 0 < num_hypotheses <= available:
            raise ValueError(
                f'num_hypotheses={num_hypotheses}, but {anchors} holds '
                f'{available} anchors: build an anchor file with that many '
                '(tools/build_anchors.py --nums ...).')
        a = data['anchors'][:num_hypotheses]
        # Not in the state dict: tools/test.py loads the published prior
        # checkpoint (keys 'prior.*') into this model without warnings.
        self.register_buffer(
            'anchors', torch.from_numpy(a).float(), persistent=False)
        self.prior_checkpoint = prior_checkpoint
        self._register_load_state_dict_pre_hook(self._check_loaded_prior)
        self.solver = ZeDOSolver.build(zedo_cfg)
        self.show_progress = show_progress
        if on_invalid not in ('warn', 'error', 'ignore'):
            raise ValueError("on_invalid must be 'warn', 'error' or "
                             f"'ignore', got {on_invalid!r}.")
        self.on_invalid = on_invalid
        if focal_pool not in ('video', 'image'):
            raise ValueError("focal_pool must be 'video' or 'image', got "
                             f'{focal_pool!r}.')
        self.focal_pool = focal_pool
        self._video = None  # the video whose frames share a focal length
        self.register_load_state_dict_post_hook(self._refuse_old_layout)

    def _check_loaded_prior(self, state_dict, prefix, *args) -> None:
        """Refuse a checkpoint (``tools/test.py CONFIG CHECKPOINT``) whose
        prior has another architecture than ``prior_checkpoint``'s: loaded
        non-strictly it would leave a silent mix of the two. Another prior
        of the same architecture loads, with a warning that the anchors
        stay ``prior_checkpoint``'s."""
        own = self.prior.state_dict()
        other = False
        for key, value in state_dict.items():
            if not key.startswith(prefix + 'prior.'):
                continue
            name = key[len(prefix + 'prior.'):]
            if name in own and own[name].shape == value.shape:
                other = other or not torch.equal(own[name].cpu(),
                                                 value.cpu())
            else:
                got = tuple(value.shape)
                want = tuple(own[name].shape) if name in own else 'no such key'
                raise ValueError(
                    f'The checkpoint holds a prior of another architecture '
                    f'than the config\'s prior_checkpoint '
                    f'({self.prior_checkpoint}): {key} is {got}, the model '
                    f'has {want}. To lift with that prior, name it in the '
                    'config: --cfg-options model.head.prior_checkpoint=PATH '
                    '(model.prior_checkpoint in the ZeDOLifter form).')
        if other:
            print_log(
                'The checkpoint holds another prior than the config\'s '
                f'prior_checkpoint ({self.prior_checkpoint}): its weights '
                'are used with the anchors set up for that file. For a '
                "prior's own shipped anchors, name it in the config: "
                '--cfg-options model.head.prior_checkpoint=PATH.',
                logger='current', level=logging.WARNING)

    @staticmethod
    def _refuse_old_layout(module, incompatible_keys) -> None:
        """A prior published before ZeDO became a head keeps its weights
        as ``prior.*``; in mmpose's ``PoseLifter`` they are ``head.prior.*``
        and would be left out without a word."""
        old = [k for k in incompatible_keys.unexpected_keys
               if k.startswith('prior.')]
        if old:
            raise ValueError(
                f'The checkpoint keeps its prior as {old[0]!r} (the layout '
                "of PosePrior and of older published priors); mmpose's "
                "PoseLifter holds it as 'head.prior.*'. Publish it again: "
                'python tools/publish_prior.py PRIOR_CONFIG CHECKPOINT '
                'OUT.pth (a published prior is taken too).')

    def train(self, mode: bool = True):
        # The prior stays in eval mode (dropout off) whatever the runner does.
        super().train(mode)
        self.prior.eval()
        return self

    def forward(self, feats):
        raise RuntimeError('ZeDOHead has no forward pass of its own: it '
                           'lifts in predict (test-time optimisation).')

    def loss(self, feats, batch_data_samples, train_cfg=None):
        raise RuntimeError('ZeDO has nothing to train: it is zero-shot; '
                           'train the prior (PosePrior).')

    def lift(self, data_samples: List) -> dict:
        """Run ZeDO on the samples' 2D keypoints; returns
        :meth:`~mmzedo.core.ZeDOSolver.lift`'s dict."""
        infos = [d.metainfo for d in data_samples]
        kpts, scores, f, c = zedo_inputs(infos, unknown_intrinsics=True)
        unknown = torch.isnan(f).any(1)
        bar = None
        if self.show_progress:
            bar = ProgressBar(self.solver.loop_steps)
        progress = (lambda i: bar.update()) if bar else None  # noqa: E731
        out = {}
        if (~unknown).any():
            k = (~unknown).nonzero().flatten()
            out = self._scatter(out, k, len(infos), self.solver.lift(
                self.prior, kpts[k], scores[k], f[k], c[k], self.anchors,
                progress=progress))
        if unknown.any():
            k = unknown.nonzero().flatten()
            out = self._scatter(out, k, len(infos), self._estimate_focal(
                [infos[i] for i in k], kpts[k], scores[k]))
        dev = out['pose'].device
        unknown = unknown.to(dev)
        for key, given in (('f', f), ('c', c)):
            out[key] = torch.where(unknown[:, None],
                                   out.pop(f'{key}_estimated', given.to(dev)),
                                   given.to(dev))
        out['focal_estimated'] = unknown
        out.setdefault('focal_at_edge', torch.zeros_like(unknown))
        return out

    @staticmethod
    def _scatter(out: dict, rows, n: int, part: dict) -> dict:
        """Put ``part``'s per-sample outputs (first dim ``len(rows)``) into
        rows ``rows`` of ``out``'s ``[n, ...]`` tensors."""
        for key, value in part.items():
            if key not in out:
                out[key] = value.new_zeros((n, *value.shape[1:]))
            out[key][rows.to(value.device)] = value
        return out

    def _estimate_focal(self, infos, kpts, scores) -> dict:
        """Lift samples whose ``camera_param`` has only the image size:
        :func:`~mmzedo.core.estimate_focal` with the principal point at the
        image centre, one focal length per image (its people pooled, as
        frames of one camera are in the CLI), or per video (see
        ``focal_pool``)."""
        size = torch.from_numpy(np.stack([
            image_size(info, k.numpy(), v.numpy(), n)
            for n, (info, k, v) in enumerate(zip(infos, kpts, scores))]))
        frames = {video_frame(i) for i in infos}
        if (self.focal_pool == 'video' and None not in frames
                and len(frames) == 1 and len(torch.unique(size, dim=0)) == 1):
            return self._estimate_in_video(frames.pop(), kpts, scores, size)
        images = [str(i.get('img_path', i.get('id', n)))
                  for n, i in enumerate(infos)]
        groups = torch.from_numpy(np.unique(images, return_inverse=True)[1])
        return self._focal_search(kpts, scores, size, groups)

    def _focal_search(self, kpts, scores, size, groups) -> dict:
        out = estimate_focal(self.prior, kpts, scores, size, self.anchors,
                             groups=groups, solver=self.solver)
        for key in ('focal_candidates', 'focal_energy'):
            out.pop(key)
        out['f_estimated'], out['c_estimated'] = out.pop('f'), out.pop('c')
        return out

    def _estimate_in_video(self, frame: int, kpts, scores, size) -> dict:
        """One frame of a video: its focal length is estimated from the
        people of the video's first :data:`POOL_FRAMES` frames (at most
        :data:`POOL_PEOPLE`), this frame's included, then kept."""
        video = self._video
        if video is None or frame == 0 or not torch.equal(video['size'],
                                                          size[0]):
            video = self._video = dict(size=size[0].clone(), kpts=[],
                                       scores=[], frames=0, f=None)
        n = len(kpts)
        if video['frames'] >= POOL_FRAMES:
            f = video['f'].expand(n, 2)
            c = size / 2
            out = self.solver.lift(self.prior, kpts, scores, f, c,
                                   self.anchors)
            out.update(f_estimated=f, c_estimated=c,
                       focal_at_edge=video['at_edge'].expand(n))
            return out
        earlier = max(0, POOL_PEOPLE - n)
        pool_k = torch.cat(video['kpts'] + [kpts])[-earlier - n:]
        pool_s = torch.cat(video['scores'] + [scores])[-earlier - n:]
        out = self._focal_search(pool_k, pool_s,
                                 size[:1].expand(len(pool_k), 2),
                                 torch.zeros(len(pool_k), dtype=torch.long))
        out = {k: v[-n:] for k, v in out.items()}
        video['kpts'].append(kpts)
        video['scores'].append(scores)
        video['frames'] += 1
        video['f'] = out['f_estimated'][:1].clone()
        video['at_edge'] = out['focal_at_edge'][:1].clone()
        return out

    @torch.no_grad()
    def predict(self, feats, batch_data_samples: List,
                test_cfg: Optional[dict] = None) -> List[InstanceData]:
        """Lift the samples' 2D (their metainfo) to 3D: one
        ``InstanceData`` per sample (see the class docstring)."""
        data_samples = batch_data_samples
        roots = []
        for i, d in enumerate(data_samples):
            root = d.metainfo.get('target_root')
            if root is not None:
                root = np.asarray(root, dtype=np.float32)
                if root.size != 3 or not np.isfinite(root).all():
                    raise ZeDOInputError(
                        f'Sample {i} (id {d.metainfo.get("id")}): '
                        f'target_root must be 3 finite numbers (metres), '
                        f'got {root.tolist()}.')
                if np.linalg.norm(root) > 100:  # metres: a person in view
                    raise ZeDOInputError(
                        f'Sample {i} (id {d.metainfo.get("id")}): '
                        f'target_root {root.ravel().tolist()} is '
                        f'{np.linalg.norm(root):.0f} from the camera; in '
                        'metres that is no person in view (millimetres? '
                        'target_root must be in metres).')
                root = root.reshape(1, 3)
            roots.append(root)
        out = self.lift(data_samples)
        out = {k: v.cpu().numpy() for k, v in out.items()}
        self._report_invalid(data_samples, out['valid'])
        preds = []
        for i, d in enumerate(data_samples):
            root = roots[i]
            offset = root if root is not None else out['translation'][i][None]
            preds.append(InstanceData(
                keypoints=(out['pose'][i] + offset)[None],
                keypoint_scores=np.ones((1, out['pose'].shape[1]),
                                        dtype=np.float32),
                hypotheses=(out['hypotheses'][i] + offset)[None],
                energy=out['energy'][i][None],
                reprojection_error=out['reprojection_error'][i][None],
                score_norm=out['score_norm'][i][None],
                translation=out['translation'][i][None],
                valid=out['valid'][i][None],
                reprojection_rel=out['reprojection_rel'][i][None],
                bone_ratio=out['bone_ratio'][i][None],
                # the intrinsics lifted with: given, or estimated where
                # camera_param had only the image size (the inferencer's)
                focal=out['f'][i][None],
                principal_point=out['c'][i][None],
                focal_estimated=out['focal_estimated'][i][None],
                focal_at_search_edge=out['focal_at_edge'][i][None]))
        return preds

    def _report_invalid(self, data_samples: List, valid: np.ndarray):
        if valid.all() or self.on_invalid == 'ignore':
            return
        ids = [data_samples[i].metainfo.get('id', i)
               for i in np.nonzero(~valid)[0]]
        msg = (f'ZeDO: {len(ids)} of {len(valid)} lifted poses are flagged '
               f'invalid (samples {ids[:10]}): collapsed or blown-up '
               'bones, far from their 2D, or behind the camera; see '
               "pred_instances.valid and the PoseValidity metric.")
        if self.on_invalid == 'error':
            raise ZeDOInputError(msg + " (on_invalid='error')")
        print_log(msg, logger='current', level=logging.WARNING)
