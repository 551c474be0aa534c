# Copyright (c) mmzedo contributors. All rights reserved.
"""Time schedules of reverse loops (plain torch), as objects of their own
(k-diffusion's ``sigmas``): the times ``t_0 > t_1 > ... > t_K`` a loop
visits and the step size of each of its ``K`` steps.

A step rule (:mod:`mmzedo.core.steps`) is called once per step with the
step's ``t``, ``t_next`` and ``dt``. In the textbook reverse process
``dt = t - t_next``. ZeDO's loop decouples the two: its noise level falls
from ``t_max`` to ``t_min`` while each step integrates a pseudo-time of
``loop_time / K`` (the official release: 1000 steps of 1/1000), see
:func:`TimeSchedule.truncated`.
"""
from typing import Iterator, Optional, Sequence, Tuple

import torch
from torch import Tensor


class TimeSchedule:
    """The times and step sizes of a reverse loop.

    Args:
        times (Tensor): ``K + 1`` times, from the first step's ``t`` to the
            last step's ``t_next`` (on the device of the loop: no
            host-device copy per step).
        dts (Sequence[float]): The ``K`` step sizes.
    """

    def __init__(self, times: Tensor, dts: Sequence[float]):
        if times.dim() != 1 or len(times) != len(dts) + 1:
            raise ValueError(f'A schedule of {len(dts)} steps needs '
                             f'{len(dts) + 1} times, got {list(times.shape)}.')
        self.times = times
        self.dts = [float(dt) for dt in dts]

    @classmethod
    def uniform(cls,
                t_start: float,
                t_end: float,
                steps: int,
                device=None,
                dtype=torch.float32) -> 'TimeSchedule':
        """The textbook schedule: ``steps`` equal steps from ``t_start`` to
        ``t_end``, ``dt = t - t_next``."""
        times = torch.linspace(t_start, t_end, steps + 1, device=device,
                               dtype=dtype)
        return cls(times, [times[i] - times[i + 1] for i in range(steps)])

    @classmethod
    def truncated(cls,
                  t_max: float,
                  t_min: float,
                  steps: int,
                  loop_time: Optional[float] = None,
                  device=None,
                  dtype=torch.float32) -> 'TimeSchedule':
        """ZeDO's loop (Algorithm 1): ``steps`` noise levels linear from
        ``t_max`` to ``t_min`` (the last step's ``t_next`` is ``t_min``
        again), each step of pseudo-time ``loop_time / steps``; ``None``:
        the textbook ``(t_max - t_min) / (steps - 1)``."""
        ts = torch.linspace(t_max, t_min, max(steps, 1), device=device,
                            dtype=dtype)
        dt = ((t_max - t_min) / max(steps - 1, 1) if loop_time is None else
              loop_time / max(steps, 1))
        return cls(torch.cat([ts, ts[-1:]])[:steps + 1], [dt] * steps)

    def __len__(self) -> int:
        return len(self.dts)

    def __iter__(self) -> Iterator[Tuple[Tensor, Tensor, float]]:
        """``(t, t_next, dt)`` of each step."""
        for i, dt in enumerate(self.dts):
            yield self.times[i], self.times[i + 1], dt

    def __repr__(self) -> str:
        return (f'TimeSchedule({len(self)} steps, t {float(self.times[0]):g}'
                f' -> {float(self.times[-1]):g})')
