"""``DataModuleFromConfig``: a LightningDataModule whose datasets are ``target``/``params`` nodes."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import lightning.pytorch as pl
import torch
from torch.utils.data import DataLoader, Dataset

from spikevision.data.epoch_sampler import EpochShuffleSampler
from spikevision.data.event_batch import collate_batch, represent_on_device
from spikevision.errors import DatasetNotFoundError
from spikevision.registry import instantiate_from_config

SPLITS = ("train", "validation", "test")


class DataModuleFromConfig(pl.LightningDataModule):
    """Train/validation/test datasets from config, one DataLoader each.

    ``num_workers`` defaults to ``min(4, cpu count)``; workers are persistent across epochs;
    memory is pinned when CUDA is available. ``batch_size`` is per device. Datasets built with
    ``on_device: true`` deliver raw events; their representation is computed per batch on the
    training device after the transfer (``on_after_batch_transfer``).
    """

    def __init__(
        self,
        batch_size: int,
        train: Mapping[str, Any] | None = None,
        validation: Mapping[str, Any] | None = None,
        test: Mapping[str, Any] | None = None,
        num_workers: int | None = None,
        shuffle_validation: bool = False,
        drop_last: bool = False,
    ) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.dataset_configs = {
            k: v for k, v in zip(SPLITS, (train, validation, test)) if v is not None
        }
        if not self.dataset_configs:
            raise ValueError("DataModuleFromConfig needs at least one of train/validation/test")
        self.num_workers = min(4, os.cpu_count() or 1) if num_workers is None else num_workers
        self.shuffle_validation = shuffle_validation
        self.drop_last = drop_last
        self.datasets: dict[str, Dataset] = {}

    def setup(self, stage: str | None = None) -> None:
        for split, cfg in self.dataset_configs.items():
            if split not in self.datasets:
                self.datasets[split] = instantiate_from_config(cfg, key_path=f"data.params.{split}")
                if hasattr(self.datasets[split], "__len__") and len(self.datasets[split]) == 0:
                    root = (cfg.get("params") or {}).get("root")
                    raise DatasetNotFoundError(
                        f"data.params.{split}: the {cfg.get('target')} split is empty"
                        f"{f' (root {root!r})' if root else ''}; check its root, split and limit")

    def dataset(self, split: str) -> Dataset:
        """The built dataset of ``split`` (builds it on first use)."""
        if split not in self.datasets:
            if split not in self.dataset_configs:
                raise KeyError(f"no '{split}' dataset configured (have {list(self.dataset_configs)})")
            self.setup()
        return self.datasets[split]

    def _current_epoch(self) -> int | None:
        trainer = getattr(self, "trainer", None)
        return trainer.current_epoch if trainer is not None else None

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        dataset = self.dataset(split)
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            # shuffled by (seed, epoch), not the global RNG: a resumed run sees the same batches
            sampler=EpochShuffleSampler(len(dataset), epoch_of=self._current_epoch) if shuffle else None,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            pin_memory=torch.cuda.is_available(),
            drop_last=self.drop_last and shuffle,
            collate_fn=collate_batch,
        )

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("validation", shuffle=self.shuffle_validation)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", shuffle=False)

    def _current_split(self) -> str:
        trainer = self.trainer
        if trainer is None or trainer.training:
            return "train"
        if trainer.validating or trainer.sanity_checking:
            return "validation"
        return "test"

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        if isinstance(batch, dict) and "events" in batch:
            return represent_on_device(batch, self.dataset(self._current_split()))
        return batch

    @property
    def has_validation(self) -> bool:
        return "validation" in self.dataset_configs

    @property
    def has_test(self) -> bool:
        return "test" in self.dataset_configs
