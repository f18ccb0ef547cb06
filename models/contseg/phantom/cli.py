"""Command line: python -m contseg.phantom --seed 7 --out DIR [--shape X Y Z] [--spacing SX SY SZ]
[--phase PHASE] [--no-dicom] [--no-nifti]; prints a one-line JSON summary. Exit 2 on bad arguments (one line on
stderr), 1 when writing fails."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import NoReturn
from collections.abc import Sequence

from .defaults import DEFAULT_SHAPE, DEFAULT_SPACING, MAX_VOXELS_PER_AXIS, PHASES

BAD_ARGUMENTS = 2
WRITE_FAILED = 1


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage block) and exits 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(BAD_ARGUMENTS, f"{self.prog}: error: {message}\n")


def _number(text: str, kind: type, what: str) -> float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{what}: expected {'an integer' if kind is int else 'a number'}, got {text!r}"
        ) from None


def _seed(text: str) -> int:
    value = int(_number(text, int, "seed"))
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"seed must be in 0..{2**32 - 1}, got {value}")
    return value


def _voxels(text: str) -> int:
    value = int(_number(text, int, "shape values"))
    if not 1 <= value <= MAX_VOXELS_PER_AXIS:
        raise argparse.ArgumentTypeError(f"shape values must be in 1..{MAX_VOXELS_PER_AXIS}, got {value}")
    return value


def _millimetres(text: str) -> float:
    value = _number(text, float, "spacing values")
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"spacing values must be finite and > 0 mm, got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="contseg-phantom",
        description="Write a synthetic abdominal CT phantom (NIfTI image + labels, DICOM CT series).",
    )
    parser.add_argument("--seed", type=_seed, required=True, help="phantom number; same seed, same bytes")
    parser.add_argument("--out", type=Path, required=True, help="output folder (created)")
    parser.add_argument("--shape", type=_voxels, nargs=3, default=list(DEFAULT_SHAPE), metavar=("X", "Y", "Z"))
    parser.add_argument(
        "--spacing", type=_millimetres, nargs=3, default=list(DEFAULT_SPACING), metavar=("SX", "SY", "SZ")
    )
    parser.add_argument("--phase", choices=PHASES, help="contrast phase (default: drawn from the seed)")
    parser.add_argument("--no-dicom", action="store_true", help="skip DIR/dicom/")
    parser.add_argument("--no-nifti", action="store_true", help="skip DIR/image.nii.gz and DIR/labels.nii.gz")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `contseg-phantom` and `python -m contseg.phantom`; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.no_dicom and args.no_nifti:
        parser.error("--no-dicom and --no-nifti together leave nothing to write")
    if args.out.exists() and not args.out.is_dir():
        parser.error(f"--out {args.out} exists and is not a folder")

    # Imported only now, so that argument errors come back fast (numpy, scipy, nibabel and pydicom load slowly).
    from .dicom_writer import write_dicom_series
    from .generate import generate_phantom
    from .nifti_writer import write_nifti

    started = time.perf_counter()
    phantom = generate_phantom(args.seed, tuple(args.shape), tuple(args.spacing), args.phase)
    generated = time.perf_counter()
    files: dict[str, object] = {}
    try:
        if not args.no_nifti:
            image, labels = write_nifti(phantom, args.out)
            files.update(image=str(image), labels=str(labels))
        if not args.no_dicom:
            slices = write_dicom_series(phantom, args.out / "dicom")
            files.update(dicom=str(args.out / "dicom"), dicom_files=len(slices))
    except OSError as error:
        print(f"contseg-phantom: cannot write to {args.out}: {error}", file=sys.stderr)
        return WRITE_FAILED
    summary = {
        "seed": phantom.seed,
        "phase": phantom.phase,
        "shape": list(phantom.shape),
        "spacing_mm": list(phantom.spacing),
        "volumes_ml": phantom.label_volumes_ml(),
        "tumours": [vars(t) for t in phantom.tumours],
        "files": files,
        "seconds": {"generate": round(generated - started, 2), "write": round(time.perf_counter() - generated, 2)},
    }
    print(json.dumps(summary))
    return 0
