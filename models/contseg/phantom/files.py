"""Atomic file and folder writes: outputs appear complete or not at all, never half written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from collections.abc import Callable


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write data to a temporary sibling, then rename it over path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def replace_folder_atomic(folder: Path, fill: Callable[[Path], None]) -> None:
    """Call fill(temporary folder), then swap the filled folder in place of `folder` (replacing an old one)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(f".{folder.name}.partial-{os.getpid()}")
    previous = folder.with_name(f".{folder.name}.previous-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        fill(partial)
        if folder.exists():
            os.replace(folder, previous)
        os.replace(partial, folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(previous, ignore_errors=True)
