"""The continual-learning benchmark, one command from a seed (issue 8):

    npm run bench:continual     (reduced tier, this CPU:
                                 models/.venv/bin/python -m contseg.benchmark.continual --config configs/continual/reduced.yaml)
    models/.venv/bin/python -m contseg.benchmark.continual --config models/configs/continual/full.yaml --jobs 6   (GPU)

Trains every method of the config on every sequence for every seed (identical steps shared, finished steps reused,
an interrupted step resumed), evaluates each step on the held-out sets, writes one run result per sequence, method
and seed to <out_dir>/runs/, measures the compute per step, and writes the results document (docs/continual-results
.md/.json/.svg by default). ``--jobs N`` trains N (seed, sequence) pairs in parallel processes (a GPU has room for
several small models). ``--report-only`` skips training and reports the run results present; ``--merge FILE`` adds
another machine's results JSON (e.g. the GPU tier's) to the document. To finish a partial tier later on the same kind
of machine: ``--runs-from RESULTS_JSON`` puts that document's runs of this tier and hardware back into <out_dir>/runs/,
``--missing-only`` trains only the (seed, sequence, method) runs without a result, and ``--split K`` deals each
(seed, sequence)'s methods to K parallel workers (each trains the steps its methods share in its own folder).
"""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..evaluation.sequence import write_run
from ..training.runtime import ensure_fast_allocator
from ..training.step import setup_logging
from .compute import measure_compute
from .config import BenchmarkConfig, load_benchmark_config, tier_setup
from .methods import method
from .results import merge_results, write_results
from .runner import DatasetCache, hardware_label, run_method

log = logging.getLogger("contseg.benchmark")

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_RESULTS = REPO_ROOT / "docs" / "continual-results"


def run_file(config: BenchmarkConfig, sequence: str, method_name: str, seed: int) -> Path:
    """Where the run result of one sequence, method and seed is written."""
    return config.out_dir / "runs" / f"{sequence}--{method_name}--seed-{seed}.json"


def train_and_evaluate(config: BenchmarkConfig, seed: int, methods: dict[str, list[str]], part: int | None = None) -> None:
    """For one seed, per sequence name the methods given, in that order; each run result is written as soon as it is
    complete. ``part``: a worker of ``--split``, whose steps live in their own folder."""
    cache = DatasetCache()  # one process per seed: its phantoms are generated once for all methods
    for sequence in (s for s in config.sequences if s.name in methods):
        root = config.out_dir / f"seed-{seed}" / sequence.name
        if part is not None:
            root = root / f"part-{part}"
        for name in methods[sequence.name]:
            t0 = time.time()
            run = run_method(sequence, method(name), seed, root, cache)
            write_run(run, run_file(config, sequence.name, name, seed))
            log.info("run %s %s seed %d done in %.1f min", sequence.name, name, seed, (time.time() - t0) / 60)


@dataclass(frozen=True)
class Work:
    """One worker's share: these methods, in order, on one sequence for one seed (``part``: its folder under --split)."""

    seed: int
    sequence: str
    methods: tuple[str, ...]
    part: int | None = None


def plan_work(seeds: list[int], sequences: list[str], methods: dict[tuple[int, str], list[str]], split: int) -> list[Work]:
    """The workers for ``methods`` per (seed, sequence): one each, or with ``split`` > 1 up to ``split`` each, the
    methods dealt in turn (a pair with fewer methods gets fewer workers; one with none, no worker)."""
    work = []
    for seed in seeds:
        for sequence in sequences:
            todo = methods[(seed, sequence)]
            if split <= 1:
                work += [Work(seed, sequence, tuple(todo))] if todo else []
                continue
            for k in range(min(split, len(todo))):
                work.append(Work(seed, sequence, tuple(todo[k::split]), k))
    return work


def _in_parallel(config_path: Path, work: list[Work], jobs: int) -> None:
    """One worker process per Work, at most ``jobs`` at a time; a failed worker fails the benchmark."""
    pending, running, failed = list(work), [], []
    while pending or running:
        while pending and len(running) < jobs:
            w = pending.pop(0)
            cmd = [sys.executable, "-m", "contseg.benchmark.continual", "--config", str(config_path), "--seeds", str(w.seed),
                   "--sequences", w.sequence, "--methods", *w.methods, "--train-only"]
            if w.part is not None:
                cmd += ["--part", str(w.part)]
            running.append((subprocess.Popen(cmd), w))
        time.sleep(1)
        for proc, w in [r for r in running if r[0].poll() is not None]:
            running.remove((proc, w))
            if proc.returncode != 0:
                failed.append(f"{w} exit code {proc.returncode}")
    if failed:
        raise RuntimeError(f"benchmark workers failed: {failed}")


def restore_runs(config: BenchmarkConfig, source: Path) -> int:
    """Write into <out_dir>/runs/ the run results of this tier that the results JSON ``source`` holds for this
    machine's hardware (a partial tier, finished later on the same kind of machine); run files present are kept.
    Returns how many were written."""
    data = json.loads(Path(source).read_text())
    hardware, written = hardware_label(), 0
    for entry in data.get("entries", []):
        if entry.get("tier") != config.name or entry.get("hardware") != hardware:
            continue
        for run in entry["runs"]:
            path = run_file(config, run["sequence"], run["method"], run["seed"])
            if not path.is_file():
                write_run(run, path)
                written += 1
    return written


def present_runs(config: BenchmarkConfig, seeds: list[int]) -> list[dict[str, Any]]:
    """The run results written so far for ``seeds`` (a missing one is logged: a partial tier is reported as such)."""
    runs = []
    for seed in seeds:
        for sequence in config.sequences:
            for name in config.methods:
                path = run_file(config, sequence.name, name, seed)
                if path.is_file():
                    runs.append(json.loads(path.read_text()))
                else:
                    log.warning("no run result %s", path)
    return runs


def main(argv: list[str] | None = None) -> None:
    """CLI (see the module docstring)."""
    ensure_fast_allocator()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, required=True, help="benchmark tier, e.g. models/configs/continual/reduced.yaml")
    parser.add_argument("--seeds", type=int, nargs="+", help="subset of the config's seeds")
    parser.add_argument("--sequences", nargs="+", help="subset of the config's sequences (by name)")
    parser.add_argument("--methods", nargs="+", help="subset of the config's methods, trained in this order")
    parser.add_argument("--jobs", type=int, default=1, help="(seed, sequence) pairs trained in parallel processes")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="results path without suffix (.md/.json/.svg)")
    parser.add_argument("--train-only", action="store_true", help="train and evaluate; no compute measurement, no document")
    parser.add_argument("--report-only", action="store_true", help="no training: report the run results present")
    parser.add_argument("--merge", type=Path, nargs="*", default=[], help="other results JSON files to include")
    parser.add_argument("--runs-from", type=Path, help="results JSON whose runs of this tier and hardware are restored first")
    parser.add_argument("--missing-only", action="store_true", help="train only the runs without a result file")
    parser.add_argument("--split", type=int, default=1, help="with --jobs: workers per (seed, sequence), methods dealt in turn")
    parser.add_argument("--part", type=int, help=argparse.SUPPRESS)  # a --split worker's folder
    args = parser.parse_args(argv)
    config = load_benchmark_config(args.config)
    seeds = args.seeds or list(config.seeds)
    sequences = args.sequences or [s.name for s in config.sequences]
    methods = args.methods or list(config.methods)
    unknown = [*sorted(set(seeds) - set(config.seeds)), *sorted(set(sequences) - {s.name for s in config.sequences}),
               *sorted(set(methods) - set(config.methods))]
    if unknown:
        parser.error(f"{unknown} are not seeds, sequences or methods of {args.config}")
    if args.split < 1 or (args.split > 1 and args.jobs < 2):
        parser.error(f"--split {args.split}: needs a positive count, and --jobs of at least 2 to run its workers")
    setup_logging(config.out_dir / "benchmark.log")
    t0 = time.time()
    if args.runs_from:
        log.info("restored %d run results of %s from %s", restore_runs(config, args.runs_from), config.name, args.runs_from)
    if not args.report_only:
        todo = {(s, q): [m for m in methods if not (args.missing_only and run_file(config, q, m, s).is_file())]
                for s in seeds for q in sequences}
        if args.jobs > 1:
            _in_parallel(args.config.resolve(), plan_work(seeds, sequences, todo, args.split), args.jobs)
        else:
            for seed in seeds:
                train_and_evaluate(config, seed, {q: todo[(seed, q)] for q in sequences}, args.part)
        log.info("benchmark %s trained and evaluated in %.1f min", config.name, (time.time() - t0) / 60)
    if args.train_only:
        return
    compute = measure_compute(config.compute)
    (config.out_dir / "compute.json").write_text(json.dumps(compute, indent=2))
    others = [json.loads(p.read_text()) for p in args.merge]
    expected = len(config.seeds) * len(config.sequences) * len(config.methods)
    results = merge_results(
        args.results.with_suffix(".json"), config.name, present_runs(config, seeds), compute, others, tier_setup(config), expected
    )
    write_results(results, args.results)
    log.info("benchmark %s finished in %.1f min: %s", config.name, (time.time() - t0) / 60, args.results.with_suffix(".md"))


if __name__ == "__main__":
    main()
