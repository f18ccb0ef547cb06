"""The paper's tables from run results (``contseg.evaluation.run_results``): per step the mean Dice of old, new and
all classes; Dice and HD95 per class across steps; forgetting per class; over seeds mean, std and 95% CI.

    models/.venv/bin/python -m contseg.evaluation.report RUN.json [RUN.json ...] --out DIR

writes DIR/tables.json (``paper_tables``), DIR/tables.md (``tables_markdown``) and DIR/dice-across-steps.svg
(``dice_across_steps_svg``). Runs are grouped by (sequence, method); the runs of a group are its seeds and must
have the same steps and new classes.

Definitions (per seed first, then summarised over seeds):
  - old classes of step t: those added by steps before t; new: those step t adds; all: both.
  - mean Dice of a class set: the mean over its classes with a defined (non-null) Dice; null if none.
  - forgetting of a class added before the last step: its best Dice at any step before the last (from the step
    that added it) minus its Dice after the last step; positive = forgotten. Null when either is undefined.
  - over seeds: ``mean``, sample ``std`` (n - 1; null for one seed), ``ci95`` = half-width of the 95% Student-t
    interval, t(0.975, n - 1) * std / sqrt(n) (null for one seed), ``n`` = seeds with a defined value.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypedDict

from scipy import stats as scipy_stats

from .plot import dice_across_steps_svg
from .run_results import RunResult, StepResult, group_runs, load_runs

TABLES_FORMAT = "contseg-paper-tables/1"

__all__ = ["TABLES_FORMAT", "Summary", "dice_across_steps_svg", "load_runs", "paper_tables", "summarise", "tables_markdown"]


class Summary(TypedDict):
    """A value over seeds: mean, sample std, 95% CI half-width (null when undefined) and the seeds that had it."""

    mean: float | None
    std: float | None
    ci95: float | None
    n: int


def summarise(values: Iterable[float | None]) -> Summary:
    """Mean, sample std and 95% Student-t CI half-width of the defined values (None skipped)."""
    xs = [float(v) for v in values if v is not None]
    n = len(xs)
    if n == 0:
        return {"mean": None, "std": None, "ci95": None, "n": 0}
    if n == 1:
        return {"mean": xs[0], "std": None, "ci95": None, "n": 1}
    std = statistics.stdev(xs)
    return {"mean": statistics.fmean(xs), "std": std, "ci95": float(scipy_stats.t.ppf(0.975, n - 1)) * std / math.sqrt(n), "n": n}


def _mean(values: Iterable[float | None]) -> float | None:
    xs = [v for v in values if v is not None]
    return statistics.fmean(xs) if xs else None


def _forgetting(run: RunResult, name: str) -> float | None:
    """Best Dice of ``name`` at a step before the last minus its Dice after the last step (None if undefined)."""
    earlier = max((d for s in run.steps[:-1] if (d := s.dice.get(name)) is not None), default=None)
    final = run.steps[-1].dice[name]
    return None if earlier is None or final is None else earlier - final


def _per_class(
    members: Sequence[RunResult], field: Callable[[StepResult], Mapping[str, float | None]]
) -> dict[str, list[Summary | None]]:
    """class -> one Summary per step (None before the step that adds the class)."""
    first = members[0]
    classes = [c for s in first.steps for c in s.new_classes]
    return {
        name: [
            summarise(field(run.steps[t]).get(name) for run in members) if name in field(first.steps[t]) else None
            for t in range(len(first.steps))
        ]
        for name in classes
    }


def _group_tables(members: Sequence[RunResult]) -> dict[str, Any]:
    first = members[0]
    steps = []
    for t, step in enumerate(first.steps):
        old = first.old_classes(t)
        sets = {"dice_old": old, "dice_new": step.new_classes, "dice_all": (*old, *step.new_classes)}
        row: dict[str, Any] = {"name": step.name, "new_classes": list(step.new_classes), "old_classes": list(old)}
        for key, classes in sets.items():
            row[key] = summarise(_mean(run.steps[t].dice[c] for c in classes) if classes else None for run in members)
        row["train_seconds"] = summarise(run.steps[t].train_seconds for run in members)
        steps.append(row)
    forgotten = [c for s in first.steps[:-1] for c in s.new_classes]
    return {
        "sequence": first.sequence,
        "method": first.method,
        "seeds": [run.seed for run in members],
        "hardware": sorted({run.hardware for run in members}),
        "steps": steps,
        "dice": _per_class(members, lambda s: s.dice),
        "hd95": _per_class(members, lambda s: s.hd95),
        "forgetting": {c: summarise(_forgetting(run, c) for run in members) for c in forgotten},
        "mean_forgetting": summarise(_mean(_forgetting(run, c) for c in forgotten) for run in members),
    }


def paper_tables(runs: Sequence[RunResult]) -> dict[str, Any]:
    """The tables as JSON-ready data: {"format", "groups": [one per (sequence, method)]}, each group with
    ``steps`` (old/new/all mean Dice and train seconds per step), ``dice`` and ``hd95`` ({class: [Summary or None
    per step]}), ``forgetting`` ({class: Summary}) and ``mean_forgetting`` (see the module docstring)."""
    if not runs:
        raise ValueError("no run results given")
    return {"format": TABLES_FORMAT, "groups": [_group_tables(members) for members in group_runs(runs)]}


def _cell(value: Summary | None, digits: int = 3) -> str:
    """'0.812 ± 0.020' (mean ± std over seeds), '0.812' for one seed, 'n/a' when undefined, '' when absent."""
    if value is None:
        return ""
    if value["mean"] is None:
        return "n/a"
    text = f"{value['mean']:.{digits}f}"
    return text if value["std"] is None else f"{text} ± {value['std']:.{digits}f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    return lines + ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]


def tables_markdown(tables: dict[str, Any]) -> str:
    """The tables of ``paper_tables`` as markdown: per sequence a step summary over methods, a forgetting table over
    methods, then per method Dice and HD95 per class across steps."""
    if tables.get("format") != TABLES_FORMAT:
        raise ValueError(f"not a {TABLES_FORMAT} table set (format {tables.get('format')!r})")
    lines = [
        "Cells: mean ± sample std over seeds (one seed: the value); 95% CIs are in tables.json. "
        "n/a: not measurable (class not annotated, or truth/prediction empty); blank: class not yet in the model.",
    ]
    sequences = list(dict.fromkeys(g["sequence"] for g in tables["groups"]))
    for sequence in sequences:
        groups = [g for g in tables["groups"] if g["sequence"] == sequence]
        lines += ["", f"## Sequence `{sequence}`", "", "### Mean Dice per step", ""]
        rows = [
            [g["method"], s["name"], str(len(g["seeds"])), _cell(s["dice_old"]) if s["old_classes"] else "—",
             _cell(s["dice_new"]), _cell(s["dice_all"]),
             "" if s["dice_all"]["ci95"] is None else f"± {s['dice_all']['ci95']:.3f}", _cell(s["train_seconds"], 0)]
            for g in groups
            for s in g["steps"]
        ]
        lines += _table(["method", "step", "seeds", "old classes", "new classes", "all classes", "all: 95% CI", "train s"], rows)
        forgotten = list(dict.fromkeys(c for g in groups for c in g["forgetting"]))
        if forgotten:
            lines += ["", "### Forgetting (best Dice before the last step − Dice after it)", ""]
            rows = [[c, *(_cell(g["forgetting"].get(c)) for g in groups)] for c in forgotten]
            rows.append(["**mean**", *(_cell(g["mean_forgetting"]) for g in groups)])
            lines += _table(["class", *(g["method"] for g in groups)], rows)
        for g in groups:
            step_names = [s["name"] for s in g["steps"]]
            for key, title, digits in (("dice", "Dice", 3), ("hd95", "HD95 (mm)", 1)):
                lines += ["", f"### {g['method']}: {title} per class across steps", ""]
                lines += _table(["class", *step_names], [[c, *(_cell(v, digits) for v in per_step)] for c, per_step in g[key].items()])
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """CLI entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", type=Path, nargs="+", help="run-result JSON files (contseg.evaluation.run_results)")
    parser.add_argument("--out", type=Path, required=True, help="folder for tables.json, tables.md, dice-across-steps.svg")
    args = parser.parse_args(argv)
    runs = load_runs(args.runs)
    tables = paper_tables(runs)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "tables.json").write_text(json.dumps(tables, indent=2) + "\n")
    (args.out / "tables.md").write_text(tables_markdown(tables))
    (args.out / "dice-across-steps.svg").write_text(dice_across_steps_svg(runs))
    print(f"{len(runs)} runs -> {args.out}/tables.json, tables.md, dice-across-steps.svg")


if __name__ == "__main__":
    main()
