"""Build a dataset object from a config mapping (the ``dataset:`` block of a step YAML).

Kinds:
  totalseg:     {cases: [folder, ...], version: v1|v2}            ct.nii.gz + labels.nii.gz per folder
  phantom:      {seeds: [int, ...] | {start, count}, shape: [X,Y,Z], spacing: [sx,sy,sz]}
  nifti-pairs:  {pairs: [[image, label], ...], class_map: <map>}  image may be a DICOM series folder
  nifti-folders:{image_dir, label_dir, image_glob, label_glob, class_map: <map>}   BTCV, LiTS, MSD layouts
  btcv:         {root, numbers: [int, ...] (optional split)}   BTCV in its distributed layouts
  lits:         {root, numbers: [int, ...] (optional split)}   LiTS volume-N / segmentation-N
  msd:          {root: <task folder>, labels: {msd label name: class | null} (optional)}   dataset.json driven
  concat:       {parts: [<dataset>, ...]}
(layouts: contseg.data.public_datasets). <map> is "catalogue", "totalseg-v1", "totalseg-v2", "btcv", "lits" (the
files in models/configs/class-maps/) or a class-map JSON file. Paths starting with "shared:" resolve
under the shared data folder ($CONTSEG_SHARED_DATA, default ../shared/data beside the checkout); other relative
paths resolve against ``base`` (the config file's folder); $VAR expands from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..network.embeddings import DEFAULT_CLIP_PATH
from .cases import ClassMap
from .class_maps import catalogue_class_map, load_class_map_file, totalseg_class_map
from .datasets import (
    ConcatDataset,
    NiftiPairDataset,
    PhantomDataset,
    SegmentationDataset,
    TotalSegmentatorDataset,
    pairs_from_folders,
)
from .public_datasets import BTCVDataset, LiTSDataset, MSDDataset, named_class_map

DEFAULT_SHARED_DATA = DEFAULT_CLIP_PATH.parents[1]


def shared_data_root() -> Path:
    """The read-only shared data folder."""
    return Path(os.environ.get("CONTSEG_SHARED_DATA", DEFAULT_SHARED_DATA))


def resolve_path(value: str, base: Path) -> Path:
    """Resolve a config path: "shared:<rel>" under the shared data root; ``$VAR``/``${VAR}`` from the environment
    (BTCV_ROOT, LITS_ROOT, ...); other relative paths against ``base``."""
    if value.startswith("shared:"):
        return shared_data_root() / value.removeprefix("shared:")
    expanded = os.path.expandvars(value)
    if "$" in expanded:
        raise ValueError(f"path {value!r} uses an environment variable that is not set")
    path = Path(expanded).expanduser()
    return path if path.is_absolute() else base / path


def _class_map(value: str, base: Path) -> ClassMap:
    if value == "catalogue":
        return catalogue_class_map()
    if value in ("totalseg-v1", "totalseg-v2"):
        return totalseg_class_map(value.removeprefix("totalseg-"))  # type: ignore[arg-type]
    if value in ("btcv", "lits"):
        return named_class_map(value)
    return load_class_map_file(resolve_path(value, base))


def _seeds(value: Any, name: str) -> list[int]:
    if isinstance(value, Mapping):
        return list(range(int(value["start"]), int(value["start"]) + int(value["count"])))
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        return list(value)
    raise ValueError(f"dataset {name!r}: seeds must be a list of integers or {{start, count}}, got {value!r}")


# keys each kind reads besides "kind" and "name"; anything else is a typo that would silently fall back to a default
_KIND_KEYS: dict[str, set[str]] = {
    "totalseg": {"cases", "version"},
    "phantom": {"seeds", "shape", "spacing"},
    "nifti-pairs": {"pairs", "class_map"},
    "nifti-folders": {"image_dir", "label_dir", "image_glob", "label_glob", "class_map"},
    "btcv": {"root", "numbers"},
    "lits": {"root", "numbers"},
    "msd": {"root", "labels"},
    "concat": {"parts"},
}


def build_dataset(spec: Mapping[str, Any], base: Path, name: str | None = None) -> SegmentationDataset:
    """A dataset object from its config mapping (see the module docstring); unknown kinds and keys are refused."""
    kind = spec.get("kind")
    name = str(spec.get("name", name or kind))
    if kind not in _KIND_KEYS:
        raise ValueError(f"dataset {name!r}: unknown kind {kind!r} ({', '.join(_KIND_KEYS)})")
    unknown = sorted(set(spec) - _KIND_KEYS[kind] - {"kind", "name"})
    if unknown:
        raise ValueError(f"dataset {name!r} ({kind}): unknown keys {unknown}; allowed: {sorted(_KIND_KEYS[kind])}")
    try:
        if kind == "totalseg":
            cases = [resolve_path(c, base) for c in spec["cases"]]
            return TotalSegmentatorDataset(name, cases, spec.get("version", "v1"))
        if kind == "phantom":
            return PhantomDataset(name, _seeds(spec["seeds"], name), tuple(spec["shape"]), tuple(spec["spacing"]))
        if kind == "nifti-pairs":
            pairs = [(resolve_path(i, base), resolve_path(lab, base)) for i, lab in spec["pairs"]]
            return NiftiPairDataset(name, pairs, _class_map(spec["class_map"], base))
        if kind == "nifti-folders":
            pairs = pairs_from_folders(
                resolve_path(spec["image_dir"], base), resolve_path(spec["label_dir"], base),
                spec.get("image_glob", "*.nii*"), spec.get("label_glob", "*.nii*"),
            )
            return NiftiPairDataset(name, pairs, _class_map(spec["class_map"], base))
        if kind in ("btcv", "lits"):
            numbers = spec.get("numbers")
            adapter = BTCVDataset if kind == "btcv" else LiTSDataset
            return adapter(name, resolve_path(spec["root"], base), None if numbers is None else [int(n) for n in numbers])
        if kind == "msd":
            return MSDDataset(name, resolve_path(spec["root"], base), spec.get("labels"))
        parts = [build_dataset(p, base, f"{name}-{i}") for i, p in enumerate(spec["parts"])]  # concat
        return ConcatDataset(name, parts)
    except KeyError as err:
        raise ValueError(f"dataset {name!r} ({kind}): missing key {err}") from err
