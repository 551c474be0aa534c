# Copyright (c) mmzedo contributors. All rights reserved.
from typing import Union

import numpy as np
from mmpose.registry import DATASETS
from torch.utils.data import Dataset


@DATASETS.register_module()
class EvenlySpacedSubset(Dataset):
    """``num`` samples spread evenly over whatever a dataset holds (all of
    them if it holds fewer), for validation on a fixed budget.

    mmengine's ``indices=N`` takes the first ``N`` samples (one subject's
    first actions on Human3.6M), and a list of indices fails with a deep
    ``IndexError`` on an annotation file smaller than the one the list was
    written for (a subsampled or partial Human3.6M). This wrapper reads the
    dataset's length first, so the same config serves the full release and
    any smaller file in mmpose's layout.

    Args:
        dataset (dict | Dataset): The dataset (config or object), with its
            pipeline.
        num (int): How many samples to take, evenly spaced (the first and
            the last included).
    """

    def __init__(self, dataset: Union[dict, Dataset], num: int):
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        if not isinstance(num, int) or isinstance(num, bool) or num < 1:
            raise ValueError(f'EvenlySpacedSubset: num must be an integer '
                             f'>= 1, got {num!r}.')
        n = len(dataset)
        if n == 0:
            raise ValueError(f'EvenlySpacedSubset: the dataset '
                             f'{type(dataset).__name__} is empty (check its '
                             'ann_file and data_root).')
        self.dataset = dataset
        self.indices = np.unique(
            np.linspace(0, n - 1, min(num, n)).round().astype(int))
        self.metainfo = getattr(dataset, 'metainfo', {})

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, idx: int):
        return self.dataset[int(self.indices[idx])]
