"""The dataset contract: one base test class that every spikevision dataset passes on fake data.

A new dataset gets its contract test by subclassing :class:`DatasetContract` in
``tests/test_dataset_contract.py`` (the subclass name must start with ``Test`` so pytest collects
it; the base itself is not collected) and filling in the class attributes:

``dataset_class``
    the class under test.
``make_root(tmp_path) -> Path | None``
    builds a tiny fake copy of the dataset's on-disk layout in ``tmp_path`` and returns the
    folder passed as ``root`` (``None`` for generated/embedded data); called once per class.
``params`` / ``params_for(root)``
    constructor arguments; ``params_for`` adds ``root`` (override it when more paths are
    needed, e.g. a separate image root).
``expected_len``
    the number of items the fake data yields with ``params``.
``expected_keys``
    keys every item must have (it may have more).
``expected_shapes`` / ``expected_dtypes``
    the exact tensor shape of a key; its dtype defaults to ``torch.float32``.
``layouts``
    the documented axis order per key (``"TCHW"`` event/spike inputs, ``"CHW"`` images and stereo
    views); a tensor must have that many dimensions.
``unit_range_keys``
    tensor keys whose values lie in [0, 1] (images, stereo views, spike rates).
``label_names``
    the dataset's ``label_names`` attribute, for datasets with classes (``None``: no classes).
``determinism_params``
    overrides for the determinism check (a validation split, ``hflip=False``, ``augment=False``).
``missing_root_params``
    extra constructor arguments for the missing/empty-root checks, or ``None`` to skip them
    (embedded datasets, whose ``root`` is a cache folder that is created on demand).
``fixtures``
    names of pytest fixtures to request before the dataset is built (e.g. ``"ndigits"``).

A check that a dataset does not meet is marked in its subclass by overriding the test method
with ``@pytest.mark.xfail(strict=True, reason=...)`` and calling the base method.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
import torch

from spikevision.errors import DatasetNotFoundError

#: the documented axis order of the tensors an item may carry
DEFAULT_LAYOUTS: dict[str, str] = {
    "input": "TCHW",
    "image": "CHW",
    "left": "CHW",
    "right": "CHW",
}
INT_KEYS = ("label", "index")
STR_KEYS = ("label_name", "name")
LAYOUT_HINT = re.compile("layout|expected", re.IGNORECASE)


def assert_items_equal(a: Mapping[str, Any], b: Mapping[str, Any]) -> None:
    """Two items have the same keys and identical values (tensors: same dtype, shape, values)."""
    assert set(a) == set(b)
    for key in a:
        if isinstance(a[key], torch.Tensor):
            assert isinstance(b[key], torch.Tensor) and a[key].dtype == b[key].dtype, key
            assert torch.equal(a[key], b[key]), f"item key '{key}' differs between constructions"
        else:
            assert type(a[key]) is type(b[key]) and a[key] == b[key], key


class DatasetContract:
    """Base of the per-dataset contract tests (see the module docstring)."""

    dataset_class: ClassVar[type]
    params: ClassVar[dict[str, Any]] = {}
    root_param: ClassVar[str] = "root"
    expected_len: ClassVar[int]
    expected_keys: ClassVar[frozenset[str]]
    expected_shapes: ClassVar[dict[str, tuple[int, ...]]] = {}
    expected_dtypes: ClassVar[dict[str, torch.dtype]] = {}
    layouts: ClassVar[dict[str, str]] = {}
    unit_range_keys: ClassVar[tuple[str, ...]] = ()
    label_names: ClassVar[list[str] | None] = None
    determinism_params: ClassVar[dict[str, Any]] = {}
    missing_root_params: ClassVar[dict[str, Any] | None] = {}
    fixtures: ClassVar[tuple[str, ...]] = ()

    # ------------------------------------------------------------------ hooks for subclasses

    def make_root(self, tmp_path: Path) -> Path | None:
        """Write the fake on-disk layout under ``tmp_path``; ``None`` for embedded data."""
        return None

    def params_for(self, root: Path | None) -> dict[str, Any]:
        """Constructor arguments for the fake data at ``root``."""
        params = dict(self.params)
        if root is not None:
            params[self.root_param] = str(root)
        return params

    # ------------------------------------------------------------------ fixtures

    # class-scoped, so the fake data and the items are built once per dataset class
    @pytest.fixture(scope="class")
    @classmethod
    def root(cls, request, tmp_path_factory) -> Path | None:
        for name in cls.fixtures:
            request.getfixturevalue(name)
        return cls().make_root(tmp_path_factory.mktemp(cls.dataset_class.__name__))

    @pytest.fixture(scope="class")
    @classmethod
    def dataset(cls, root):
        return cls.dataset_class(**cls().params_for(root))

    @pytest.fixture(scope="class")
    @classmethod
    def items(cls, dataset) -> list[Any]:
        return [dataset[i] for i in range(len(dataset))]

    # ------------------------------------------------------------------ the contract

    def test_item_keys(self, items):
        """Every item is a dict with at least the expected keys."""
        assert items, "the fake data yields no items"
        for i, item in enumerate(items):
            assert isinstance(item, dict), f"item {i} is a {type(item).__name__}, not a dict"
            missing = set(self.expected_keys) - set(item)
            assert not missing, f"item {i} lacks keys {sorted(missing)}; has {sorted(item)}"

    def test_dtypes_and_shapes(self, items):
        """Tensors have the expected dtype, exact shape and documented layout; [0, 1] where
        they are images; labels and indices are ints; names are non-empty strings."""
        layouts = {**DEFAULT_LAYOUTS, **self.layouts}
        for i, item in enumerate(items):
            for key, shape in self.expected_shapes.items():
                value = item[key]
                assert isinstance(value, torch.Tensor), f"item {i}['{key}'] is {type(value).__name__}"
                dtype = self.expected_dtypes.get(key, torch.float32)
                assert value.dtype == dtype, f"item {i}['{key}'] is {value.dtype}, expected {dtype}"
                if key in layouts:
                    assert value.ndim == len(layouts[key]), (
                        f"item {i}['{key}'] has shape {tuple(value.shape)}, "
                        f"expected layout [{', '.join(layouts[key])}]")
                assert tuple(value.shape) == tuple(shape), (
                    f"item {i}['{key}'] has shape {tuple(value.shape)}, expected {tuple(shape)}")
                if value.is_floating_point():
                    assert bool(torch.isfinite(value).all()), f"item {i}['{key}'] is not finite"
            for key in self.unit_range_keys:
                value = item[key]
                assert 0.0 <= float(value.min()) and float(value.max()) <= 1.0, (
                    f"item {i}['{key}'] spans [{float(value.min())}, {float(value.max())}], "
                    "not within [0, 1]")
            for key in INT_KEYS:
                if key in item:
                    value = item[key]
                    assert type(value) is int, f"item {i}['{key}'] is a {type(value).__name__}"
            if "index" in item:
                assert item["index"] == i
            for key in STR_KEYS:
                if key in item:
                    assert isinstance(item[key], str) and item[key], f"item {i}['{key}'] = {item[key]!r}"

    def test_label_names(self, dataset, items):
        """``label_names`` is the documented class list and each item's ``label_name`` is the
        name of its ``label``."""
        if self.label_names is None:
            pytest.skip(f"{self.dataset_class.__name__} has no class names")
        assert list(dataset.label_names) == list(self.label_names)
        assert all(isinstance(n, str) and n for n in dataset.label_names)
        for i, item in enumerate(items):
            assert 0 <= item["label"] < len(dataset.label_names), f"item {i} label {item['label']}"
            assert item["label_name"] == dataset.label_names[item["label"]], f"item {i}"

    def test_len_and_index_error(self, dataset):
        """``len()`` matches the fake data; indexing past the end raises IndexError."""
        assert len(dataset) == self.expected_len
        with pytest.raises(IndexError):
            dataset[len(dataset)]

    def test_deterministic(self, root):
        """Two constructions with the same parameters give identical first (and last) items."""
        params = {**self.params_for(root), **self.determinism_params}
        first, second = self.dataset_class(**params), self.dataset_class(**params)
        assert len(first) == len(second)
        for index in sorted({0, len(first) - 1}):
            assert_items_equal(first[index], second[index])

    def _raises_not_found_with_layout(self, root: Path) -> None:
        if self.missing_root_params is None:
            pytest.skip(f"{self.dataset_class.__name__} is embedded: its root is a cache folder")
        params = {**self.params, **self.missing_root_params, self.root_param: str(root)}
        with pytest.raises(DatasetNotFoundError) as err:
            self.dataset_class(**params)
        message = str(err.value)
        assert LAYOUT_HINT.search(message), f"the error does not show the expected layout: {message}"
        assert str(root) in message, f"the error does not name the root '{root}': {message}"

    def test_missing_root(self, tmp_path):
        """A non-existent root raises DatasetNotFoundError naming it and showing the layout."""
        self._raises_not_found_with_layout(tmp_path / "does-not-exist")

    def test_empty_root(self, tmp_path):
        """An existing but empty root raises DatasetNotFoundError showing the layout."""
        empty = tmp_path / "empty"
        empty.mkdir()
        self._raises_not_found_with_layout(empty)
