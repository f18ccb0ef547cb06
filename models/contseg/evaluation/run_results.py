"""The run-result JSON: one continual run (one method, one seed, one class sequence) evaluated after every step.

Schema (``RUN_FORMAT``); every key below is required unless marked optional, unknown keys are refused::

    {
      "format": "contseg-run/1",                  # optional; when present must be this value
      "sequence": "btcv-lits",                     # name of the class sequence (same steps in every run of it)
      "method": "pseudo-labels",                   # the strategy or method being compared
      "seed": 0,                                   # integer
      "hardware": "1x NVIDIA H100 80GB",           # free text
      "steps": [                                   # in training order
        {
          "name": "btcv",
          "new_classes": ["spleen", "liver"],      # classes this step added (not empty, no repeats across steps)
          "dice": {"spleen": 0.91, "liver": null}, # exactly the model's classes after this step:
          "hd95": {"spleen": 4.2, "liver": null},  #   the new classes of this and every earlier step
          "train_seconds": 3600.0,                 # wall time of the step's training, or null when unknown
          "details": {...}                         # optional, free form (per evaluation set, per case); not read
        }
      ]
    }

``dice`` values are in [0, 1], ``hd95`` values in millimetres (>= 0). ``null`` means "not measurable": no
evaluation case annotates the class, or (Dice) truth and prediction are empty in every case, or (HD95) truth or
prediction is empty in every case (a surface distance to nothing is undefined; the Dice of that case, 0, carries
the miss). Tables skip nulls; they never count as 0.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RUN_FORMAT = "contseg-run/1"
_RUN_KEYS = {"format", "sequence", "method", "seed", "hardware", "steps"}
_STEP_KEYS = {"name", "new_classes", "dice", "hd95", "train_seconds", "details"}


@dataclass(frozen=True)
class StepResult:
    """One step of a run: the classes it added and the model's scores on every class it has after the step."""

    name: str
    new_classes: tuple[str, ...]
    dice: Mapping[str, float | None]
    hd95: Mapping[str, float | None]
    train_seconds: float | None


@dataclass(frozen=True)
class RunResult:
    """One continual run evaluated after each step (see the module docstring for the JSON form)."""

    sequence: str
    method: str
    seed: int
    hardware: str
    steps: tuple[StepResult, ...]
    source: str = ""  # where it was read from, for error messages

    def old_classes(self, index: int) -> tuple[str, ...]:
        """Classes learnt before step ``index`` (0-based), in the order they were added."""
        return tuple(c for step in self.steps[:index] for c in step.new_classes)

    def to_json(self) -> dict[str, Any]:
        """The JSON mapping of this run (``details`` are not kept)."""
        return {
            "format": RUN_FORMAT,
            "sequence": self.sequence,
            "method": self.method,
            "seed": self.seed,
            "hardware": self.hardware,
            "steps": [
                {"name": s.name, "new_classes": list(s.new_classes), "dice": dict(s.dice), "hd95": dict(s.hd95),
                 "train_seconds": s.train_seconds}
                for s in self.steps
            ],
        }


def _fail(where: str, problem: str) -> ValueError:
    return ValueError(f"{where}: {problem}")


def _scores(value: Any, expected: Sequence[str], where: str, upper: float | None) -> dict[str, float | None]:
    if not isinstance(value, Mapping):
        raise _fail(where, f"expected an object of class -> number or null, got {value!r}")
    missing = [c for c in expected if c not in value]
    extra = [c for c in value if c not in expected]
    if missing or extra:
        raise _fail(where, f"must hold exactly the model's classes {list(expected)}; missing {missing}, unexpected {extra}")
    out: dict[str, float | None] = {}
    for name in expected:
        v = value[name]
        if v is None:
            out[name] = None
            continue
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise _fail(where, f"{name!r} is {v!r}, not a finite number or null")
        if v < 0 or (upper is not None and v > upper):
            raise _fail(where, f"{name!r} is {v}, outside [0, {upper if upper is not None else 'inf'}]")
        out[name] = float(v)
    return out


def _step(data: Any, index: int, old: Sequence[str], where: str) -> StepResult:
    where = f"{where} steps[{index}]"
    if not isinstance(data, Mapping):
        raise _fail(where, f"expected an object, got {data!r}")
    unknown = sorted(set(data) - _STEP_KEYS)
    missing = sorted({"name", "new_classes", "dice", "hd95", "train_seconds"} - set(data))
    if unknown or missing:
        raise _fail(where, f"unknown keys {unknown}, missing keys {missing}")
    new = data["new_classes"]
    if not isinstance(new, list) or not new or not all(isinstance(c, str) for c in new):
        raise _fail(where, f"new_classes must be a non-empty list of class names, got {new!r}")
    repeated = sorted({c for c in new if c in old or new.count(c) > 1})
    if repeated:
        raise _fail(where, f"new_classes {repeated} were already added (by this or an earlier step)")
    classes = [*old, *new]
    seconds = data["train_seconds"]
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0):
        raise _fail(where, f"train_seconds must be a number >= 0 or null, got {seconds!r}")
    return StepResult(
        name=str(data["name"]),
        new_classes=tuple(new),
        dice=_scores(data["dice"], classes, f"{where}.dice", 1.0),
        hd95=_scores(data["hd95"], classes, f"{where}.hd95", None),
        train_seconds=None if seconds is None else float(seconds),
    )


def run_from_json(data: Any, source: str = "run") -> RunResult:
    """Validate a run-result mapping and build a RunResult; errors name the file/step/class at fault."""
    if not isinstance(data, Mapping):
        raise _fail(source, "a run result must be a JSON object")
    unknown = sorted(set(data) - _RUN_KEYS)
    missing = sorted(_RUN_KEYS - {"format"} - set(data))
    if unknown or missing:
        raise _fail(source, f"unknown keys {unknown}, missing keys {missing}")
    if data.get("format", RUN_FORMAT) != RUN_FORMAT:
        raise _fail(source, f"format {data['format']!r} is not {RUN_FORMAT!r}")
    seed = data["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise _fail(source, f"seed must be an integer, got {seed!r}")
    if not isinstance(data["steps"], list) or not data["steps"]:
        raise _fail(source, "steps must be a non-empty list")
    steps: list[StepResult] = []
    for i, entry in enumerate(data["steps"]):
        steps.append(_step(entry, i, [c for s in steps for c in s.new_classes], source))
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise _fail(source, f"step names repeat: {names}")
    return RunResult(str(data["sequence"]), str(data["method"]), seed, str(data["hardware"]), tuple(steps), source)


def load_runs(paths: Iterable[Path | str]) -> list[RunResult]:
    """Read run-result JSON files (each one run, or a list of runs); refuses two runs of the same sequence, method
    and seed (a result counted twice would shrink the confidence interval)."""
    runs: list[RunResult] = []
    for path in paths:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f"{path}: cannot read a run result ({err})") from err
        entries = data if isinstance(data, list) else [data]
        runs += [run_from_json(entry, f"{path}" + (f"[{i}]" if isinstance(data, list) else "")) for i, entry in enumerate(entries)]
    seen: dict[tuple[str, str, int], str] = {}
    for run in runs:
        key = (run.sequence, run.method, run.seed)
        if key in seen:
            raise ValueError(f"{run.source} and {seen[key]} are both sequence {key[0]!r} method {key[1]!r} seed {key[2]}")
        seen[key] = run.source
    return runs


def group_runs(runs: Sequence[RunResult]) -> list[list[RunResult]]:
    """Runs grouped by (sequence, method) in first-seen order, seeds sorted; the runs of a group (its seeds) must
    have the same steps with the same new classes."""
    groups: dict[tuple[str, str], list[RunResult]] = {}
    for run in runs:
        groups.setdefault((run.sequence, run.method), []).append(run)
    out = []
    for (sequence, method), members in groups.items():
        members.sort(key=lambda r: r.seed)
        layout = [(s.name, s.new_classes) for s in members[0].steps]
        for other in members[1:]:
            if [(s.name, s.new_classes) for s in other.steps] != layout:
                raise ValueError(
                    f"sequence {sequence!r} method {method!r}: {other.source} (seed {other.seed}) has steps "
                    f"{[(s.name, list(s.new_classes)) for s in other.steps]}, but {members[0].source} has "
                    f"{[(n, list(c)) for n, c in layout]}"
                )
        out.append(members)
    return out
