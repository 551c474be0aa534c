# Copyright (c) mmzedo contributors. All rights reserved.
"""The MLP score network of ZeDO's pose prior (plain torch)."""
import math

import torch
from torch import Tensor, nn


def timestep_embedding(t: Tensor, dim: int,
                       max_positions: int = 10000) -> Tensor:
    """Sinusoidal (transformer-style) embedding of times ``t`` [B] -> [B,
    dim], as score_sde's ``get_timestep_embedding``."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_positions) * torch.arange(
        half, dtype=torch.float32, device=t.device) / max(half - 1, 1))
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=1)
    if dim % 2:
        emb = nn.functional.pad(emb, (0, 1))
    return emb


class ResBlock(nn.Module):
    """Residual block: twice (Linear + GroupNorm + SiLU + Dropout), with the
    time embedding added after the first Linear."""

    def __init__(self, hidden: int, temb_dim: int, num_groups: int,
                 dropout: float):
        super().__init__()
        self.fc1 = nn.Linear(hidden, hidden)
        self.temb = nn.Linear(temb_dim, hidden)
        self.norm1 = nn.GroupNorm(num_groups, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.norm2 = nn.GroupNorm(num_groups, hidden)
        self.act = nn.SiLU()
        self.drop = nn.Dropout(dropout)

    def forward(self, h: Tensor, temb: Tensor) -> Tensor:
        x = self.fc1(h) + self.temb(temb)
        x = self.drop(self.act(self.norm1(x)))
        x = self.drop(self.act(self.norm2(self.fc2(x))))
        return h + x


class ScoreMLP(nn.Module):
    """MLP over the flattened root-relative pose with a time embedding added
    in every block. It predicts the noise ``z`` of ``x_t = m_t x_0 + s_t z``;
    the score is ``-output / s_t`` (see :class:`~mmzedo.core.PosePriorCore`).

    Defaults follow the paper's network (hidden 1024, time embedding 512,
    2 residual blocks, GroupNorm(32), SiLU, dropout 0.25, positional time
    embedding).

    Args:
        num_joints (int): Joints per pose. Defaults to 17.
        hidden_dim (int): Width. Defaults to 1024.
        temb_dim (int): Time-embedding width. Defaults to 512.
        num_blocks (int): Residual blocks. Defaults to 2.
        num_groups (int): GroupNorm groups. Defaults to 32.
        dropout (float): Dropout rate. Defaults to 0.25.
        time_scale (float): Times in [0, 1] are multiplied by this before the
            positional embedding. Defaults to 999 (score_sde's VP labels).
        input_scale (float): Poses are multiplied by this before the first
            layer (EDM's ``c_in`` at small noise, ``1 / sigma_data``: about 4
            for root-relative poses in metres). Defaults to 1.
    """

    def __init__(self,
                 num_joints: int = 17,
                 hidden_dim: int = 1024,
                 temb_dim: int = 512,
                 num_blocks: int = 2,
                 num_groups: int = 32,
                 dropout: float = 0.25,
                 time_scale: float = 999.,
                 input_scale: float = 1.):
        super().__init__()
        if hidden_dim % num_groups:
            raise ValueError(f'hidden_dim ({hidden_dim}) must be divisible '
                             f'by num_groups ({num_groups}).')
        self.num_joints = num_joints
        self.temb_dim = temb_dim
        self.time_scale = time_scale
        self.input_scale = input_scale
        self.temb_mlp = nn.Sequential(
            nn.Linear(temb_dim, temb_dim), nn.SiLU(),
            nn.Linear(temb_dim, temb_dim), nn.SiLU())
        self.inp = nn.Linear(num_joints * 3, hidden_dim)
        self.blocks = nn.ModuleList(
            ResBlock(hidden_dim, temb_dim, num_groups, dropout)
            for _ in range(num_blocks))
        self.out = nn.Linear(hidden_dim, num_joints * 3)

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        """Noise prediction for poses ``x`` [B, J, 3] at times ``t`` [B]."""
        b = x.shape[0]
        temb = self.temb_mlp(
            timestep_embedding(t * self.time_scale, self.temb_dim))
        h = self.inp(x.reshape(b, -1) * self.input_scale)
        for block in self.blocks:
            h = block(h, temb)
        return self.out(h).reshape(x.shape)


#: Score networks a published prior can name in ``score_net.type``.
SCORE_NETS = {'ScoreMLP': ScoreMLP}


def build_score_net(cfg) -> nn.Module:
    """Build a score network from a dict with ``type`` (a name in
    :data:`SCORE_NETS`; default ``'ScoreMLP'``) and its arguments."""
    cfg = dict(cfg)
    name = cfg.pop('type', 'ScoreMLP')
    if name not in SCORE_NETS:
        raise KeyError(f'Unknown score network "{name}"; known: '
                       f'{sorted(SCORE_NETS)} (add new ones to '
                       'mmzedo.core.score_net.SCORE_NETS).')
    return SCORE_NETS[name](**cfg)
