"""Class maps: which native label values mark which catalogue class, for each label numbering we read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from ..network.embeddings import load_catalogue
from .cases import ClassMap

TotalSegVersion = Literal["v1", "v2"]


def catalogue_class_map() -> ClassMap:
    """The project's own numbering (phantom label maps): catalogue label -> class."""
    return {c.name: (c.label,) for c in load_catalogue().values()}


def totalseg_class_map(version: TotalSegVersion) -> ClassMap:
    """TotalSegmentator "total" numbering (v1 or v2) for the catalogue classes it has (from catalogue.json)."""
    if version not in ("v1", "v2"):
        raise ValueError(f"TotalSegmentator version must be 'v1' or 'v2', got {version!r}")
    field = "totalseg_v1" if version == "v1" else "totalseg_v2"
    return {c.name: (int(getattr(c, field)),) for c in load_catalogue().values() if getattr(c, field) is not None}


def load_class_map_file(path: Path) -> ClassMap:
    """A JSON class map ``{"labels": {"<native value>": "<catalogue class name>", ...}}`` (several values may map to
    one class). Unknown class names and non-integer values are refused with the offending entry named."""
    path = Path(path)
    try:
        entries = json.loads(path.read_text())["labels"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: not a class map file with a 'labels' object ({err})") from err
    catalogue = load_catalogue()
    out: dict[str, tuple[int, ...]] = {}
    for value, name in entries.items():
        if name not in catalogue:
            raise ValueError(f"{path}: label {value} maps to {name!r}, which is not a catalogue class")
        try:
            number = int(value)
        except ValueError as err:
            raise ValueError(f"{path}: label value {value!r} is not an integer") from err
        out[name] = (*out.get(name, ()), number)
    return out


def restrict_class_map(class_map: ClassMap, classes: tuple[str, ...]) -> ClassMap:
    """Only the entries of ``classes`` (a dataset that annotates just a step's new classes)."""
    return {name: values for name, values in class_map.items() if name in classes}
