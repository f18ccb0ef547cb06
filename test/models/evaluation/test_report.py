"""Paper tables, markdown and SVG from run results, checked against values computed by hand."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from contseg.evaluation.report import dice_across_steps_svg, load_runs, main, paper_tables, summarise, tables_markdown

SVG = "{http://www.w3.org/2000/svg}"


def _run(method: str, seed: int, liver: tuple[float, float, float], tumour: tuple[float | None, float]) -> dict[str, Any]:
    """A 3-step run: organs (liver, spleen) -> tumour (liver tumour) -> vessels (aorta)."""
    return {
        "sequence": "organs-tumour-vessels",
        "method": method,
        "seed": seed,
        "hardware": "2 CPU cores",
        "steps": [
            {"name": "organs", "new_classes": ["liver", "spleen"], "dice": {"liver": liver[0], "spleen": 0.5},
             "hd95": {"liver": 3.0, "spleen": None}, "train_seconds": 10.0 + seed},
            {"name": "tumour", "new_classes": ["liver tumour"],
             "dice": {"liver": liver[1], "spleen": 0.6, "liver tumour": tumour[0]},
             "hd95": {"liver": 4.0, "spleen": 9.0, "liver tumour": None}, "train_seconds": 5.0},
            {"name": "vessels", "new_classes": ["aorta"],
             "dice": {"liver": liver[2], "spleen": 0.2, "liver tumour": tumour[1], "aorta": 0.7},
             "hd95": {"liver": 6.0, "spleen": 12.0, "liver tumour": 20.0, "aorta": 2.0}, "train_seconds": None},
        ],
    }


@pytest.fixture()
def run_files(tmp_path: Path) -> list[Path]:
    runs = [
        _run("pseudo-labels", 0, (0.8, 0.9, 0.7), (0.4, 0.3)),
        _run("pseudo-labels", 1, (0.6, 0.7, 0.7), (None, 0.5)),
        _run("fine-tune", 0, (0.8, 0.1, 0.0), (0.5, 0.0)),
    ]
    paths = []
    for i, run in enumerate(runs):
        paths.append(tmp_path / f"run{i}.json")
        paths[-1].write_text(json.dumps(run))
    return paths


def test_summary_over_seeds_is_mean_sample_std_and_student_t_interval() -> None:
    s = summarise([0.7, 0.9, None])
    assert s["n"] == 2 and s["mean"] == pytest.approx(0.8)
    assert s["std"] == pytest.approx(math.sqrt(0.02))
    assert s["ci95"] == pytest.approx(12.706204736 * math.sqrt(0.02) / math.sqrt(2))  # t(0.975, 1)
    assert summarise([0.5]) == {"mean": 0.5, "std": None, "ci95": None, "n": 1}
    assert summarise([None]) == {"mean": None, "std": None, "ci95": None, "n": 0}


def test_old_new_all_means_per_step_follow_the_step_class_sets(run_files: list[Path]) -> None:
    tables = paper_tables(load_runs(run_files))
    ours = tables["groups"][0]
    assert (ours["method"], ours["seeds"]) == ("pseudo-labels", [0, 1])
    step1, step2, step3 = ours["steps"]
    assert step1["old_classes"] == [] and step1["dice_old"]["n"] == 0
    assert step2["old_classes"] == ["liver", "spleen"] and step2["new_classes"] == ["liver tumour"]
    assert step3["old_classes"] == ["liver", "spleen", "liver tumour"]
    # step 2 old classes: seed 0 (0.9 + 0.6) / 2 = 0.75, seed 1 (0.7 + 0.6) / 2 = 0.65
    assert step2["dice_old"]["mean"] == pytest.approx(0.70)
    # step 2 new: seed 1's tumour Dice is undefined, so only seed 0 counts
    assert step2["dice_new"] == {"mean": 0.4, "std": None, "ci95": None, "n": 1}
    # step 3 all: seed 0 (0.7 + 0.2 + 0.3 + 0.7) / 4, seed 1 (0.7 + 0.2 + 0.5 + 0.7) / 4
    assert step3["dice_all"]["mean"] == pytest.approx((0.475 + 0.525) / 2)
    assert step1["train_seconds"]["mean"] == pytest.approx(10.5) and step3["train_seconds"]["n"] == 0
    assert ours["dice"]["aorta"][:2] == [None, None]  # not yet in the model
    assert ours["hd95"]["spleen"][0]["n"] == 0 and ours["hd95"]["liver"][2]["mean"] == 6.0


def test_forgetting_is_best_earlier_dice_minus_final_dice(run_files: list[Path]) -> None:
    ours, finetune = paper_tables(load_runs(run_files))["groups"]
    # liver: seed 0 max(0.8, 0.9) - 0.7 = 0.2; seed 1 max(0.6, 0.7) - 0.7 = 0
    assert ours["forgetting"]["liver"]["mean"] == pytest.approx(0.1)
    assert ours["forgetting"]["spleen"]["mean"] == pytest.approx(0.4)
    # liver tumour: seed 0 0.4 - 0.3; seed 1 has no earlier Dice -> undefined
    assert ours["forgetting"]["liver tumour"]["n"] == 1 and ours["forgetting"]["liver tumour"]["mean"] == pytest.approx(0.1)
    assert "aorta" not in ours["forgetting"]  # added by the last step: nothing to forget yet
    assert finetune["forgetting"]["liver"]["mean"] == pytest.approx(0.8)
    assert finetune["mean_forgetting"]["mean"] == pytest.approx((0.8 + 0.4 + 0.5) / 3)


def test_markdown_has_the_step_forgetting_and_per_class_tables(run_files: list[Path]) -> None:
    text = tables_markdown(paper_tables(load_runs(run_files)))
    assert "## Sequence `organs-tumour-vessels`" in text
    assert "| pseudo-labels | tumour | 2 | 0.700 ± 0.071 | 0.400 |" in text
    assert "| liver | 0.100 ± 0.141 | 0.800 |" in text  # forgetting: methods side by side
    assert "### fine-tune: HD95 (mm) per class across steps" in text
    assert "| aorta |  |  | 0.700 |" in text  # blank before the step that adds it


def test_svg_is_well_formed_with_one_panel_per_method_and_points_at_the_mean_dice(run_files: list[Path]) -> None:
    root = ET.fromstring(dice_across_steps_svg(load_runs(run_files)))
    panels = root.findall(f"{SVG}g[@class='panel']")
    assert [p.get("data-method") for p in panels] == ["pseudo-labels", "fine-tune"]
    points = {(c.get("data-class"), c.get("data-step")): float(c.get("data-dice", "nan")) for c in panels[0].iter(f"{SVG}circle")}
    assert points[("liver", "tumour")] == pytest.approx(0.8)
    assert points[("liver tumour", "tumour")] == pytest.approx(0.4)
    assert ("aorta", "organs") not in points and points[("aorta", "vessels")] == pytest.approx(0.7)
    legend = [t.text for t in root.find(f"{SVG}g[@class='legend']").iter(f"{SVG}text")]  # type: ignore[union-attr]
    assert legend == ["classes", "liver", "spleen", "liver tumour", "aorta"]


def test_cli_writes_json_markdown_and_svg(run_files: list[Path], tmp_path: Path) -> None:
    main([*map(str, run_files), "--out", str(tmp_path / "report")])
    tables = json.loads((tmp_path / "report/tables.json").read_text())
    assert tables["format"] == "contseg-paper-tables/1" and len(tables["groups"]) == 2
    assert (tmp_path / "report/tables.md").read_text().startswith("Cells:")
    ET.fromstring((tmp_path / "report/dice-across-steps.svg").read_text())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["steps"][1]["dice"].pop("spleen"), r"steps\[1\].dice: must hold exactly .*missing \['spleen'\]"),
        (lambda r: r["steps"][0]["dice"].update(liver=1.5), r"'liver' is 1.5, outside \[0, 1.0\]"),
        (lambda r: r["steps"][2]["new_classes"].append("liver"), r"new_classes \['liver'\] were already added"),
        (lambda r: r["steps"][0]["hd95"].update(liver="far"), r"'liver' is 'far', not a finite number"),
        (lambda r: r.pop("seed"), r"missing keys \['seed'\]"),
        (lambda r: r.update(sed=1), r"unknown keys \['sed'\]"),
    ],
)
def test_malformed_run_results_are_refused_naming_the_problem(tmp_path: Path, change: Any, message: str) -> None:
    run = _run("m", 0, (0.8, 0.9, 0.7), (0.4, 0.3))
    change(run)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(run))
    with pytest.raises(ValueError, match=message):
        load_runs([path])


def test_same_run_twice_and_seeds_with_different_steps_are_refused(tmp_path: Path) -> None:
    a = _run("m", 0, (0.8, 0.9, 0.7), (0.4, 0.3))
    (tmp_path / "a.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps([a]))
    with pytest.raises(ValueError, match="are both sequence 'organs-tumour-vessels' method 'm' seed 0"):
        load_runs([tmp_path / "a.json", tmp_path / "b.json"])
    b = _run("m", 1, (0.8, 0.9, 0.7), (0.4, 0.3))
    b["steps"][2]["name"] = "other"
    (tmp_path / "b.json").write_text(json.dumps(b))
    with pytest.raises(ValueError, match="seed 1\\) has steps"):
        paper_tables(load_runs([tmp_path / "a.json", tmp_path / "b.json"]))
