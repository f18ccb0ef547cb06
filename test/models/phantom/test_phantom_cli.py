"""Command line and API input checks: outputs, JSON summary, one-line errors with exit status 2."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import pytest

from contseg.phantom import generate_phantom
from contseg.phantom.cli import main

SMALL = ["--shape", "48", "40", "24", "--spacing", "8", "8.5", "13"]


def test_python_m_writes_nifti_and_dicom_and_prints_a_one_line_json_summary(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "contseg.phantom", "--seed", "7", "--out", str(out), *SMALL],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["seed"] == 7 and summary["shape"] == [48, 40, 24] and summary["spacing_mm"] == [8.0, 8.5, 13.0]
    assert summary["files"]["dicom_files"] == 24 and summary["volumes_ml"]["liver"] > 0
    assert nib.load(out / "image.nii.gz").shape == (48, 40, 24)
    assert nib.load(out / "labels.nii.gz").shape == (48, 40, 24)
    assert sorted(p.name for p in (out / "dicom").iterdir()) == [f"IM{k:04d}.dcm" for k in range(1, 25)]


def test_no_dicom_and_no_nifti_each_skip_their_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--seed", "3", "--out", str(tmp_path / "a"), "--no-dicom", "--phase", "arterial", *SMALL]) == 0
    assert json.loads(capsys.readouterr().out)["phase"] == "arterial"
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["image.nii.gz", "labels.nii.gz"]
    assert main(["--seed", "3", "--out", str(tmp_path / "b"), "--no-nifti", *SMALL]) == 0
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == ["dicom"]


def test_rewriting_a_folder_replaces_the_dicom_series_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert (
        main(
            ["--seed", "3", "--out", str(out), "--no-nifti", "--shape", "32", "32", "20", "--spacing", "12", "10", "15"]
        )
        == 0
    )
    assert main(["--seed", "3", "--out", str(out), "--no-nifti", *SMALL]) == 0
    assert len(list((out / "dicom").iterdir())) == 24  # no slices left over from the 20-slice series
    assert [p.name for p in out.iterdir()] == ["dicom"]  # no temporary folders left behind


@pytest.mark.parametrize(
    "argv, reason",
    [
        (["--out", "x"], "--seed"),
        (["--seed", "-1", "--out", "x"], "seed must be in"),
        (["--seed", "abc", "--out", "x"], "expected an integer"),
        (["--seed", "1", "--out", "x", "--shape", "10", "10"], "expected 3 arguments"),
        (["--seed", "1", "--out", "x", "--shape", "10", "0", "10"], "shape values must be in"),
        (["--seed", "1", "--out", "x", "--spacing", "1", "nan", "1"], "spacing values must be finite"),
        (["--seed", "1", "--out", "x", "--phase", "venous"], "invalid choice"),
        (["--seed", "1", "--out", "x", "--no-dicom", "--no-nifti"], "nothing to write"),
    ],
)
def test_bad_arguments_exit_2_with_a_one_line_reason(
    argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and reason in err


def test_out_that_is_a_file_is_a_bad_argument(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "file"
    afile.write_text("keep me")
    with pytest.raises(SystemExit) as exit_info:
        main(["--seed", "1", "--out", str(afile)])
    assert exit_info.value.code == 2 and "not a folder" in capsys.readouterr().err
    assert afile.read_text() == "keep me"


def test_contseg_phantom_entry_point_is_installed_and_rejects_bad_arguments() -> None:
    script = Path(sys.executable).with_name("contseg-phantom")
    result = subprocess.run([str(script), "--seed", "1"], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "--out" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "kwargs, reason",
    [
        (dict(seed=-3), "seed must be"),
        (dict(seed=1.5), "seed must be"),
        (dict(seed=1, shape=(10, 10)), "3 values"),
        (dict(seed=1, shape=(10, 0, 10)), "shape values"),
        (dict(seed=1, spacing=(1.0, math.inf, 1.0)), "spacing values"),
        (dict(seed=1, shape=(8, 8, 8), phase="delayed"), "unknown contrast phase"),
    ],
)
def test_generate_phantom_rejects_bad_input_naming_the_problem(kwargs: dict, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        generate_phantom(**kwargs)
