"""Dataset adapters. Each yields RawCases; a continual step receives exactly one dataset object (its own).

BTCV, LiTS and MSD tasks have their own adapters (``public_datasets``). Another public dataset = a class map file
plus a NiftiPairDataset over its folders (see ``pairs_from_folders`` and models/configs/class-maps/); a new file
layout = a new SegmentationDataset subclass.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from monai.data import MetaTensor
from monai.transforms import LoadImage, ResampleToMatch

from .cases import ClassMap, RawCase
from .class_maps import TotalSegVersion, catalogue_class_map, restrict_class_map, totalseg_class_map


class SegmentationDataset(ABC):
    """A named collection of cases. ``only(classes)`` gives a view that annotates just those classes."""

    def __init__(self, name: str, keep_classes: tuple[str, ...] | None = None) -> None:
        self.name = name
        self._keep = keep_classes

    @abstractmethod
    def case_ids(self) -> list[str]:
        """Identifiers of the cases, in a fixed order."""

    @abstractmethod
    def _load(self, case_id: str) -> RawCase:
        """Load one case with its full class map."""

    def load(self, case_id: str) -> RawCase:
        """Load one case; its class map is restricted when this is an ``only(...)`` view."""
        if case_id not in self.case_ids():
            raise KeyError(f"dataset {self.name!r} has no case {case_id!r}")
        case = self._load(case_id)
        if self._keep is None:
            return case
        return RawCase(case.case_id, case.image, case.label, restrict_class_map(case.class_map, self._keep))

    def only(self, classes: Sequence[str]) -> SegmentationDataset:
        """A view of this dataset whose cases annotate only ``classes`` (a step's new classes)."""
        return _RestrictedView(self, tuple(classes))


class _RestrictedView(SegmentationDataset):
    def __init__(self, base: SegmentationDataset, classes: tuple[str, ...]) -> None:
        super().__init__(base.name, classes)
        self._base = base

    def case_ids(self) -> list[str]:
        return self._base.case_ids()

    def _load(self, case_id: str) -> RawCase:
        return self._base.load(case_id)


def _load_volume(path: Path) -> MetaTensor:
    if not path.exists():
        raise FileNotFoundError(f"image not found: {path}")
    reader = "PydicomReader" if path.is_dir() else None  # a folder is a DICOM series
    return LoadImage(image_only=True, ensure_channel_first=True, reader=reader)(str(path))


def load_image_and_label(image_path: Path, label_path: Path, case_id: str, class_map: ClassMap) -> RawCase:
    """Load an image (NIfTI file or DICOM series folder) and a label map; the label is resampled onto the image grid
    (nearest) when the two differ, so alignment always follows the affines, never the array indices."""
    image = _load_volume(Path(image_path)).float()
    label = _load_volume(Path(label_path))
    same_grid = tuple(image.shape) == tuple(label.shape) and np.allclose(
        np.asarray(image.affine), np.asarray(label.affine), atol=1e-3
    )
    if not same_grid:
        label = ResampleToMatch(mode="nearest")(label.float(), img_dst=image)
    return RawCase(case_id=case_id, image=image, label=label.round().to(torch.int16), class_map=class_map)


class NiftiPairDataset(SegmentationDataset):
    """Generic image/label pairs (NIfTI files, or DICOM series folders for images) with one class map."""

    def __init__(self, name: str, pairs: Sequence[tuple[Path, Path]], class_map: ClassMap) -> None:
        super().__init__(name)
        if not pairs:
            raise ValueError(f"dataset {name!r} has no image/label pairs")
        self._pairs = {self._case_id(Path(img)): (Path(img), Path(lab)) for img, lab in pairs}
        if len(self._pairs) != len(pairs):
            raise ValueError(f"dataset {name!r}: two images share a case id")
        self._class_map = dict(class_map)

    @staticmethod
    def _case_id(image: Path) -> str:
        stem = image.name.removesuffix(".gz").removesuffix(".nii")
        return f"{image.parent.name}/{stem}"

    def case_ids(self) -> list[str]:
        return list(self._pairs)

    def _load(self, case_id: str) -> RawCase:
        image, label = self._pairs[case_id]
        return load_image_and_label(image, label, f"{self.name}:{case_id}", self._class_map)


def pairs_from_folders(image_dir: Path, label_dir: Path, image_glob: str, label_glob: str) -> list[tuple[Path, Path]]:
    """Pair images and labels by the number in their file names (BTCV img0001/label0001, LiTS volume-0/segmentation-0)."""
    def by_number(folder: Path, pattern: str) -> dict[int, Path]:
        found: dict[int, Path] = {}
        for path in sorted(Path(folder).glob(pattern)):
            digits = re.findall(r"\d+", path.name)
            if digits:
                found[int(digits[-1] if len(digits) == 1 else digits[0])] = path
        return found

    images, labels = by_number(image_dir, image_glob), by_number(label_dir, label_glob)
    missing = sorted(set(images) - set(labels))
    if missing:
        raise ValueError(f"no label in {label_dir} for image numbers {missing[:10]}")
    return [(images[n], labels[n]) for n in sorted(images)]


class TotalSegmentatorDataset(NiftiPairDataset):
    """TotalSegmentator-style case folders (``ct.nii.gz`` + ``labels.nii.gz`` in one folder) in v1 or v2 numbering."""

    def __init__(
        self, name: str, case_dirs: Sequence[Path], version: TotalSegVersion, image: str = "ct.nii.gz", label: str = "labels.nii.gz"
    ) -> None:
        pairs = [(Path(d) / image, Path(d) / label) for d in case_dirs]
        super().__init__(name, pairs, totalseg_class_map(version))


class PhantomDataset(SegmentationDataset):
    """Synthetic CTs from ``contseg.phantom.generate_phantom(seed, shape, spacing)`` with exact catalogue labels."""

    def __init__(self, name: str, seeds: Sequence[int], shape: tuple[int, int, int], spacing: tuple[float, float, float]) -> None:
        super().__init__(name)
        if not seeds:
            raise ValueError(f"phantom dataset {name!r} has no seeds")
        self.seeds = [int(s) for s in seeds]
        self.shape = tuple(int(n) for n in shape)
        self.spacing = tuple(float(s) for s in spacing)

    def case_ids(self) -> list[str]:
        return [f"phantom-{s}" for s in self.seeds]

    def _load(self, case_id: str) -> RawCase:
        from ..phantom import generate_phantom  # the phantom package is heavy; import on first use

        seed = int(case_id.removeprefix("phantom-"))
        p = generate_phantom(seed, self.shape, self.spacing)  # type: ignore[arg-type]
        affine = torch.as_tensor(p.affine, dtype=torch.float64)
        image = MetaTensor(torch.from_numpy(p.image.astype(np.float32))[None], affine=affine)
        label = MetaTensor(torch.from_numpy(p.labels.astype(np.int16))[None], affine=affine)
        return RawCase(f"{self.name}:{case_id}", image, label, _phantom_class_map())


def _phantom_class_map() -> ClassMap:
    """The catalogue classes the phantom draws (it annotates exactly these)."""
    from ..phantom.labels import phantom_labels

    drawn = set(phantom_labels().names().values())
    return {name: values for name, values in catalogue_class_map().items() if name in drawn}


class ConcatDataset(SegmentationDataset):
    """Several datasets used as one step's dataset (e.g. a real CT plus phantoms); case ids are prefixed by part."""

    def __init__(self, name: str, parts: Sequence[SegmentationDataset]) -> None:
        super().__init__(name)
        if not parts:
            raise ValueError(f"dataset {name!r} has no parts")
        self._index = {f"{part.name}/{cid}": (part, cid) for part in parts for cid in part.case_ids()}

    def case_ids(self) -> list[str]:
        return list(self._index)

    def _load(self, case_id: str) -> RawCase:
        part, cid = self._index[case_id]
        return part.load(cid)
