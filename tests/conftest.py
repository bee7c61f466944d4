"""Shared fixtures: one N-Digits cache per test session (subprocesses inherit it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def spikevision_cache(tmp_path_factory) -> Path:
    """Point ``SPIKEVISION_CACHE`` at a session-wide temporary folder (unless already set)."""
    if not os.environ.get("SPIKEVISION_CACHE"):
        os.environ["SPIKEVISION_CACHE"] = str(tmp_path_factory.mktemp("spikevision_cache"))
    return Path(os.environ["SPIKEVISION_CACHE"])


@pytest.fixture(scope="session")
def ndigits(spikevision_cache):
    """The N-Digits source, generated once per session."""
    from spikevision.data.ndigits_source import load_ndigits

    return load_ndigits()
