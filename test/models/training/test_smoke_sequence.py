"""The CPU smoke run of a 3-step continual sequence (models/configs/smoke-sequence.yaml), end to end through the
documented commands: train the release (real TotalSegmentator CT + phantoms, pseudo labels), evaluate every step's
checkpoint into a run result, make the paper's tables and the plot. Proves the pieces fit: each step's old/new
classes, scores in range, forgetting = best earlier Dice - final Dice, a well-formed SVG. Measured 4.1-4.9 min on
the 2 shared CPU cores at load average 11-15 (train 160 s, evaluate 54-90 s, report 15-21 s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from contseg.data import shared_data_root
from contseg.evaluation.run_results import load_runs

CONFIG = Path(__file__).resolve().parents[3] / "models/configs/smoke-sequence.yaml"
STEPS = [("organs", ["liver", "spleen"]), ("liver-tumour", ["liver tumour"]), ("kidneys", ["right kidney", "left kidney"])]
pytestmark = pytest.mark.skipif(not (shared_data_root() / "ct").is_dir(), reason="shared data folder not present")


def _cli(*args: str) -> None:
    """Run a contseg command line as a user would; its output is shown when it fails."""
    done = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, timeout=900, env=os.environ.copy())
    assert done.returncode == 0, f"{args[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("smoke-sequence")
    config = yaml.safe_load(CONFIG.read_text())
    config["out_dir"] = str(root / "out")
    release = root / "smoke-sequence.yaml"
    release.write_text(yaml.safe_dump(config))
    t0 = time.time()
    _cli("contseg.training.release", "--config", str(release), "--seed", "0", "--skip-evaluation")
    t1 = time.time()
    _cli("contseg.evaluation.sequence", "--config", str(release), "--out", str(root / "run.json"), "--threads", "1")
    t2 = time.time()
    _cli("contseg.evaluation.report", str(root / "run.json"), "--out", str(root / "report"))
    print(f"smoke sequence: train {t1 - t0:.0f} s, evaluate {t2 - t1:.0f} s, report {time.time() - t2:.0f} s")
    return {
        "run": json.loads((root / "run.json").read_text()),
        "tables": json.loads((root / "report/tables.json").read_text()),
        "markdown": (root / "report/tables.md").read_text(),
        "svg": (root / "report/dice-across-steps.svg").read_text(),
        "run_path": root / "run.json",
    }


def test_run_result_has_each_steps_classes_and_scores_in_range(smoke: dict[str, Any]) -> None:
    run = smoke["run"]
    assert (run["sequence"], run["method"], run["seed"]) == ("smoke-sequence", "pseudo-labels", 0)
    assert [(s["name"], s["new_classes"]) for s in run["steps"]] == STEPS
    seen: list[str] = []
    for step in run["steps"]:
        seen += step["new_classes"]
        assert list(step["dice"]) == seen and list(step["hd95"]) == seen  # every class the model has so far
        assert all(v is None or 0.0 <= v <= 1.0 for v in step["dice"].values())
        assert all(v is None or v >= 0.0 for v in step["hd95"].values())
        assert step["train_seconds"] > 0
        (report,) = step["details"]["sets"].values()  # one evaluation set: the pooled value is that set's
        assert step["dice"] == report["dice_postprocessed"] and step["hd95"] == report["hd95_postprocessed"]
        assert report["cases"][0]["case"] == "phantom-1000"
    assert load_runs([smoke["run_path"]])[0].steps[2].new_classes == ("right kidney", "left kidney")


def test_tables_split_old_and_new_classes_per_step_and_compute_forgetting(smoke: dict[str, Any]) -> None:
    (group,) = smoke["tables"]["groups"]
    assert [(s["old_classes"], s["new_classes"]) for s in group["steps"]] == [
        ([], ["liver", "spleen"]),
        (["liver", "spleen"], ["liver tumour"]),
        (["liver", "spleen", "liver tumour"], ["right kidney", "left kidney"]),
    ]
    for step in group["steps"]:
        for key in ("dice_new", "dice_all"):
            assert step[key]["n"] in (0, 1) and (step[key]["mean"] is None or 0.0 <= step[key]["mean"] <= 1.0)
    run = smoke["run"]
    assert set(group["forgetting"]) == {"liver", "spleen", "liver tumour"}
    for name, summary in group["forgetting"].items():
        earlier = [s["dice"][name] for s in run["steps"][:-1] if s["dice"].get(name) is not None]
        final = run["steps"][-1]["dice"][name]
        expected = None if not earlier or final is None else max(earlier) - final
        assert summary["mean"] == pytest.approx(expected)
    assert "### Forgetting" in smoke["markdown"] and "| pseudo-labels | kidneys | 1 |" in smoke["markdown"]


def test_plot_is_an_svg_with_the_sequences_steps_and_classes(smoke: dict[str, Any]) -> None:
    root = ET.fromstring(smoke["svg"])
    ns = "{http://www.w3.org/2000/svg}"
    (panel,) = root.findall(f"{ns}g[@class='panel']")
    points = {(c.get("data-class"), c.get("data-step")) for c in panel.iter(f"{ns}circle")}
    run = smoke["run"]
    expected = {(c, s["name"]) for s in run["steps"] for c, v in s["dice"].items() if v is not None}
    assert points == expected and ("right kidney", "organs") not in points
