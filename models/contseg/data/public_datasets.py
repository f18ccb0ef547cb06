"""Adapters for public abdominal CT datasets in their distributed folder layouts: BTCV, LiTS, MSD tasks.

Each is a ``NiftiPairDataset`` (image/label NIfTI pairs, labels resampled onto the image by affine) with the
dataset's own label numbering mapped to catalogue classes. Layouts (docs/training.md, "Public datasets"):

  BTCV  root/ one of  img/ + label/            (the challenge's RawData/Training after unzipping)
                      RawData/Training/img|label/
                      Training/img|label/
                      imagesTr/ + labelsTr/   (the MONAI / Swin-UNETR copy)
        img0001.nii.gz <-> label0001.nii.gz, paired by number; 13 organs (class-maps/btcv.json)
  LiTS  root/ with volume-N.nii[.gz] and segmentation-N.nii[.gz] anywhere below it (flat, or the
        "Training Batch 1" / "Training Batch 2" folders); 1 liver, 2 tumour (class-maps/lits.json)
  MSD   root = one task folder (Task03_Liver, Task09_Spleen, ...) with dataset.json; its "training" list names
        the image/label pairs, its "labels" the numbering, its "modality" must be CT. Label names are matched
        to catalogue classes by name or synonym; ``labels`` ({msd name: class or None}) maps or drops the others.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..network.embeddings import CATALOGUE_PATH, load_catalogue
from .cases import ClassMap
from .class_maps import load_class_map_file
from .datasets import NiftiPairDataset, pairs_from_folders

CLASS_MAPS_DIR = Path(__file__).resolve().parents[2] / "configs" / "class-maps"
BTCV_LAYOUTS = (("img", "label"), ("RawData/Training/img", "RawData/Training/label"), ("Training/img", "Training/label"),
                ("imagesTr", "labelsTr"))
# MSD label names that are not a catalogue class name or synonym, per task
MSD_KNOWN_LABELS: dict[str, dict[str, str | None]] = {
    "Task03_Liver": {"cancer": "liver tumour"},
}


def named_class_map(name: str) -> ClassMap:
    """A class map shipped in models/configs/class-maps/ (``btcv``, ``lits``)."""
    path = CLASS_MAPS_DIR / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in CLASS_MAPS_DIR.glob("*.json"))
        raise ValueError(f"no class map {name!r} in {CLASS_MAPS_DIR}; known: {known}")
    return load_class_map_file(path)


def _keep_numbers(pairs: list[tuple[Path, Path]], numbers: Sequence[int] | None, name: str) -> list[tuple[Path, Path]]:
    """Only the pairs whose image number is in ``numbers`` (a train / validation split); all when None."""
    if numbers is None:
        return pairs
    by_number = {int(re.findall(r"\d+", image.name)[-1]): (image, label) for image, label in pairs}
    missing = sorted(set(numbers) - set(by_number))
    if missing:
        raise ValueError(f"dataset {name!r}: no case numbered {missing}")
    return [by_number[n] for n in sorted(set(numbers))]


class BTCVDataset(NiftiPairDataset):
    """BTCV (Multi-Atlas Labeling Beyond the Cranial Vault, abdomen): 13 organs; layouts in the module docstring."""

    def __init__(self, name: str, root: Path, numbers: Sequence[int] | None = None) -> None:
        root = Path(root)
        layout = next(((root / i, root / lab) for i, lab in BTCV_LAYOUTS if (root / i).is_dir() and (root / lab).is_dir()), None)
        if layout is None:
            tried = ", ".join(f"{i}/ + {lab}/" for i, lab in BTCV_LAYOUTS)
            raise FileNotFoundError(f"BTCV root {root}: found none of the layouts {tried}")
        pairs = pairs_from_folders(layout[0], layout[1], "img*.nii*", "label*.nii*")
        if not pairs:
            raise FileNotFoundError(f"BTCV root {root}: no img*.nii[.gz] in {layout[0]}")
        super().__init__(name, _keep_numbers(pairs, numbers, name), named_class_map("btcv"))


class LiTSDataset(NiftiPairDataset):
    """LiTS (Liver Tumor Segmentation Challenge): volume-N / segmentation-N anywhere under ``root``."""

    def __init__(self, name: str, root: Path, numbers: Sequence[int] | None = None) -> None:
        root = Path(root)
        if not root.is_dir():
            raise FileNotFoundError(f"LiTS root {root} is not a folder")
        volumes = self._by_number(root, "volume")
        segmentations = self._by_number(root, "segmentation")
        if not volumes:
            raise FileNotFoundError(f"LiTS root {root}: no volume-N.nii[.gz] below it")
        missing = sorted(set(volumes) - set(segmentations))
        if missing:
            raise ValueError(f"LiTS root {root}: no segmentation-N for volumes {missing[:10]}")
        pairs = [(volumes[n], segmentations[n]) for n in sorted(volumes)]
        super().__init__(name, _keep_numbers(pairs, numbers, name), named_class_map("lits"))

    @staticmethod
    def _by_number(root: Path, prefix: str) -> dict[int, Path]:
        found: dict[int, Path] = {}
        for path in sorted(root.rglob(f"{prefix}-*.nii*")):
            match = re.fullmatch(rf"{prefix}-(\d+)\.nii(\.gz)?", path.name)
            if match is None:
                continue
            number = int(match.group(1))
            if number in found:
                raise ValueError(f"LiTS: {found[number]} and {path} are both {prefix} {number}")
            found[number] = path
        return found


def _catalogue_names() -> dict[str, str]:
    """Lower-case class names and synonyms -> catalogue class name."""
    entries = json.loads(CATALOGUE_PATH.read_text())["classes"]
    names = {e["name"].lower(): e["name"] for e in entries}
    for e in entries:
        for synonym in e.get("synonyms", []):
            names.setdefault(synonym.lower(), e["name"])
    return names


def msd_class_map(task: str, labels: Mapping[str, str], overrides: Mapping[str, str | None]) -> ClassMap:
    """An MSD dataset.json ``labels`` object ({"0": "background", "1": "liver", ...}) -> class map.

    Each non-background name maps, in order of precedence, through ``overrides``, the task's ``MSD_KNOWN_LABELS``,
    then a catalogue name or synonym; ``None`` drops it (its voxels count as background for every class). A name
    that maps nowhere is refused: silently dropping a lesion label would make its organ's target wrong.
    """
    catalogue, known = _catalogue_names(), MSD_KNOWN_LABELS.get(task, {})
    unused = sorted(set(overrides) - {n for n in labels.values()})
    if unused:
        raise ValueError(f"MSD {task}: labels {unused} given in 'labels' are not in dataset.json ({sorted(labels.values())})")
    out: dict[str, tuple[int, ...]] = {}
    for value, msd_name in labels.items():
        if int(value) == 0:
            continue
        if msd_name in overrides:
            target = overrides[msd_name]
        elif msd_name in known:
            target = known[msd_name]
        elif msd_name.lower() in catalogue:
            target = catalogue[msd_name.lower()]
        else:
            raise ValueError(
                f"MSD {task}: label {value} {msd_name!r} is no catalogue class; map it with labels: {{{msd_name}: <class>}} "
                f"or drop it with labels: {{{msd_name}: null}}"
            )
        if target is None:
            continue
        if target not in load_catalogue():
            raise ValueError(f"MSD {task}: label {msd_name!r} maps to {target!r}, which is not a catalogue class")
        out[target] = (*out.get(target, ()), int(value))
    if not out:
        raise ValueError(f"MSD {task}: no label maps to a catalogue class")
    return out


class MSDDataset(NiftiPairDataset):
    """One Medical Segmentation Decathlon task folder, driven by its dataset.json (training pairs, labels, modality)."""

    def __init__(self, name: str, root: Path, labels: Mapping[str, str | None] | None = None) -> None:
        root = Path(root)
        manifest = root / "dataset.json"
        try:
            meta = json.loads(manifest.read_text())
            modality, training, numbering = meta["modality"], meta["training"], meta["labels"]
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as err:
            raise ValueError(f"{manifest}: not an MSD dataset.json with modality, labels and training ({err})") from err
        if sorted(modality.values()) != ["CT"]:
            raise ValueError(f"MSD {root.name}: modality {modality} is not CT; the pipeline segments CT only")
        pairs = [(root / entry["image"], root / entry["label"]) for entry in training]
        absent = [str(p) for pair in pairs for p in pair if not p.is_file()]
        if absent:
            raise FileNotFoundError(f"MSD {root.name}: dataset.json names files that are missing: {absent[:5]}")
        super().__init__(name, pairs, msd_class_map(root.name, numbering, labels or {}))
