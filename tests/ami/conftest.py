"""Fixtures for the AMI tests: the recorded captures."""
from __future__ import annotations

from pathlib import Path

import pytest

CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "captures"
CAPTURE_NAMES = sorted(p.name for p in CAPTURES.iterdir() if p.is_dir() and p.name != "config")


@pytest.fixture(scope="session")
def captures_dir() -> Path:
    return CAPTURES
