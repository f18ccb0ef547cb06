"""Data: dataset adapters (TotalSegmentator, BTCV, LiTS, MSD, phantom, generic NIfTI/DICOM pairs), pre-processing,
targets, patches."""

from .cases import ClassMap, PreparedCase, RawCase
from .class_maps import catalogue_class_map, load_class_map_file, totalseg_class_map
from .datasets import (
    ConcatDataset,
    NiftiPairDataset,
    PhantomDataset,
    SegmentationDataset,
    TotalSegmentatorDataset,
    pairs_from_folders,
)
from .public_datasets import BTCVDataset, LiTSDataset, MSDDataset, msd_class_map, named_class_map
from .preprocess import HU_WINDOW, check_ct, preprocess_case
from .registry import build_dataset, resolve_path, shared_data_root
from .sampling import foreground_of, patch_transform
from .targets import NOT_ANNOTATED, encode_targets, target_values

__all__ = [
    "BTCVDataset",
    "LiTSDataset",
    "MSDDataset",
    "msd_class_map",
    "named_class_map",
    "HU_WINDOW",
    "NOT_ANNOTATED",
    "ClassMap",
    "ConcatDataset",
    "NiftiPairDataset",
    "PhantomDataset",
    "PreparedCase",
    "RawCase",
    "SegmentationDataset",
    "TotalSegmentatorDataset",
    "build_dataset",
    "catalogue_class_map",
    "check_ct",
    "encode_targets",
    "foreground_of",
    "load_class_map_file",
    "pairs_from_folders",
    "patch_transform",
    "preprocess_case",
    "resolve_path",
    "shared_data_root",
    "target_values",
    "totalseg_class_map",
]
