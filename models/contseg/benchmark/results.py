"""The results document of the continual benchmark: docs/continual-results.json (per tier and hardware: the run
results, the paper's tables with 95% CIs, the compute measurement), .md (the tables via contseg.evaluation.report,
where the seeds cannot separate methods, the compute per step) and one Dice-across-steps SVG per tier and hardware."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..evaluation.report import dice_across_steps_svg, paper_tables, tables_markdown
from ..evaluation.run_results import run_from_json

RESULTS_FORMAT = "contseg-continual-results/1"
# the method the others are compared with when asking whether seeds separate them
REFERENCE_METHOD = "ours-clip"


def _entry_key(entry: dict[str, Any]) -> tuple[str, str]:
    return entry["tier"], entry["hardware"]


def merge_results(
    path: Path,
    tier: str,
    runs: Sequence[dict[str, Any]],
    compute: dict[str, Any] | None,
    others: Sequence[dict[str, Any]] = (),
    setup: Sequence[str] = (),
    expected_runs: int | None = None,
) -> dict[str, Any]:
    """The results JSON at ``path`` (if any) with the entries of ``others`` and a new entry for ``tier`` on the runs'
    hardware (``setup``: markdown lines describing the tier; ``expected_runs``: how many a complete tier has); an
    entry with the same tier and hardware is replaced, never mixed."""
    if not runs:
        raise ValueError(f"tier {tier!r}: no run results to write")
    hardware = sorted({r["hardware"] for r in runs})
    if len(hardware) != 1:
        raise ValueError(f"tier {tier!r}: runs from several machines {hardware}; write them as separate entries")
    entries: dict[tuple[str, str], dict[str, Any]] = {}
    sources = [json.loads(path.read_text())] if path.is_file() else []
    for data in [*sources, *others]:
        if data.get("format") != RESULTS_FORMAT:
            raise ValueError(f"not a {RESULTS_FORMAT} file (format {data.get('format')!r})")
        entries.update({_entry_key(e): e for e in data["entries"]})
    tables = paper_tables([run_from_json(r, f"{tier} {r['sequence']} {r['method']} seed {r['seed']}") for r in runs])
    new = {"tier": tier, "hardware": hardware[0], "setup": list(setup), "expected_runs": expected_runs or len(runs),
           "runs": list(runs), "tables": tables, "compute": compute}
    entries[_entry_key(new)] = new
    return {"format": RESULTS_FORMAT, "entries": sorted(entries.values(), key=_entry_key)}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _separated(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two summaries' 95% t intervals are disjoint (both means and intervals defined)."""
    return abs(a["mean"] - b["mean"]) > a["ci95"] + b["ci95"]


def separability(tables: dict[str, Any], reference: str = REFERENCE_METHOD) -> list[str]:
    """Plain sentences, per sequence: which methods' mean Dice over all classes after the last step the seeds
    separate from ``reference`` (95% t intervals disjoint) and which they cannot."""
    lines = []
    for sequence in dict.fromkeys(g["sequence"] for g in tables["groups"]):
        groups = {g["method"]: g for g in tables["groups"] if g["sequence"] == sequence}
        if reference not in groups:
            lines.append(f"- `{sequence}`: no {reference} runs to compare the other methods with.")
            continue
        ref = groups[reference]["steps"][-1]["dice_all"]
        if ref["ci95"] is None:
            lines.append(f"- `{sequence}`: {ref['n']} seed(s): no confidence interval, so no method can be separated.")
            continue
        apart, together = [], []
        for name, g in groups.items():
            other = g["steps"][-1]["dice_all"]
            if name == reference or other["mean"] is None:
                continue
            if other["ci95"] is None:
                together.append(f"{name} ({other['n']} seed)")
                continue
            (apart if _separated(other, ref) else together).append(f"{name} ({other['mean']:.3f} ± {other['ci95']:.3f})")
        head = f"- `{sequence}`, all classes after the last step, {reference} {ref['mean']:.3f} ± {ref['ci95']:.3f} (95% CI, {ref['n']} seeds): "
        lines.append(
            head
            + (f"separated from {', '.join(apart)}; " if apart else "separated from no method; ")
            + (f"**not separable** from {', '.join(together)}." if together else "every other method is separated.")
        )
    return lines


def forgetting_separability(tables: dict[str, Any], reference: str = REFERENCE_METHOD) -> list[str]:
    """Plain sentences, per sequence: the (class, method) pairs whose forgetting the seeds separate from
    ``reference``'s forgetting of the same class (95% t intervals disjoint); the mean over all classes can hide them."""
    lines = []
    for sequence in dict.fromkeys(g["sequence"] for g in tables["groups"]):
        groups = {g["method"]: g for g in tables["groups"] if g["sequence"] == sequence}
        if reference not in groups or not groups[reference]["forgetting"]:
            continue
        pairs = []
        for cls, ref in groups[reference]["forgetting"].items():
            for name, g in groups.items():
                other = g["forgetting"].get(cls)
                if name == reference or other is None or None in (other["ci95"], ref["ci95"], other["mean"], ref["mean"]):
                    continue
                if _separated(other, ref):
                    pairs.append(f"{cls}: {name} {other['mean']:.3f} ± {other['ci95']:.3f} against {ref['mean']:.3f} ± {ref['ci95']:.3f}")
        head = f"- `{sequence}`, forgetting per class, {reference} against each method (95% CIs): "
        lines.append(head + (f"separated for {'; '.join(pairs)}; no other pair." if pairs else "no (class, method) pair is separated."))
    return lines


def _ms(value: float | None) -> str:
    return "not timed" if value is None else f"{value:.0f}"


def compute_markdown(compute: dict[str, Any]) -> list[str]:
    """The compute table (GFLOP at both scales, wall time) and the measured cost of one more class / step."""
    rows = compute["rows"]
    wall, flops = compute["wall_scale"], compute["flops_scale"]
    paper = f"fs {flops['feature_size']}, {'x'.join(map(str, flops['patch']))}"
    small = f"fs {wall['feature_size']}, {'x'.join(map(str, wall['patch']))}"
    lines = [
        f"Inference of one patch, batch 1. FLOPs counted by torch.utils.flop_counter (multiply-add = 2); wall time: "
        f"median of {wall['repeats']} run(s) after a warm-up on {compute['hardware']}. Decoder-per-step: one SwinUNETR decoder per "
        f"continual step of {compute['classes_per_step']} class(es) on a shared encoder.",
        "",
        f"| classes | steps | ours GFLOP ({paper}) | decoder-per-step GFLOP ({paper}) | ours GFLOP ({small}) | "
        f"decoder-per-step GFLOP ({small}) | ours ms ({small}) | decoder-per-step ms ({small}) |",
        "|" + " --- |" * 8,
    ]
    for r in rows:
        o, d = r["ours"], r["decoder-per-step"]
        lines.append(
            f"| {r['classes']} | {r['steps']} | {o['gflop_paper_scale']:.1f} | {d['gflop_paper_scale']:.1f} | {o['gflop']:.2f} | "
            f"{d['gflop']:.2f} | {_ms(o['ms'])} | {_ms(d['ms'])} |"
        )
    first, last = rows[0], rows[-1]
    added_classes = last["classes"] - first["classes"]
    added_steps = last["steps"] - first["steps"]
    if added_classes > 0 and added_steps > 0:
        per_class = (last["ours"]["gflop_paper_scale"] - first["ours"]["gflop_paper_scale"]) / added_classes
        per_step = (last["decoder-per-step"]["gflop_paper_scale"] - first["decoder-per-step"]["gflop_paper_scale"]) / added_steps
        ratio = last["decoder-per-step"]["gflop_paper_scale"] / last["ours"]["gflop_paper_scale"]
        lines += [
            "",
            f"Measured at {paper}: each added class costs our design {per_class:.2f} GFLOP "
            f"({100 * per_class / first['ours']['gflop_paper_scale']:.3f}% of the backbone); each added step costs the "
            f"decoder-per-step design {per_step:.0f} GFLOP. With {last['classes']} classes the decoder-per-step design "
            f"needs {ratio:.1f}x our FLOPs (the seed paper quotes ~0.12 GFLOP per class and ~466 GFLOP per step; its backbone figure, 659 GFLOP, counts as we do).",
        ]
    return lines


def _cells(row: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip()[1:-1])]


def align_tables(markdown: str) -> str:
    """Markdown tables with every column padded to its widest cell, as prettier writes them (docs/ are checked
    with prettier --check, and a regenerated document must pass unchanged)."""
    out: list[str] = []
    block: list[str] = []
    for line in [*markdown.split("\n"), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            rows = [_cells(r) for r in block]
            body = [r for i, r in enumerate(rows) if i != 1]  # row 1 is the header separator
            widths = [max(3, *(len(r[j]) for r in body if j < len(r))) for j in range(len(rows[0]))]
            for i, r in enumerate(rows):
                cells = ["-" * w for w in widths] if i == 1 else [c.ljust(w) for c, w in zip(r, widths)]
                out.append("| " + " | ".join(cells) + " |")
            block = []
        out.append(line)
    return "\n".join(out[:-1])


def _demote(markdown: str) -> str:
    """Headings one level deeper, so the report's tables nest under a tier's heading."""
    return re.sub(r"^(#+) ", r"#\1 ", markdown, flags=re.MULTILINE)


def results_markdown(results: dict[str, Any], json_name: str, svg_names: dict[tuple[str, str], str]) -> str:
    """The whole document (see the module docstring)."""
    lines = [
        "# Continual-learning benchmark results",
        "",
        "Generated by `npm run bench:continual` (`python -m contseg.benchmark.continual`; tiers and sequences in "
        "models/configs/continual/); do not edit by hand. Each section is one tier of the benchmark on one machine.",
    ]
    for entry in results["entries"]:
        tables = entry["tables"]
        runs = entry["runs"]
        seeds = sorted({r["seed"] for r in runs})
        lines += ["", f"## Tier `{entry['tier']}` on {entry['hardware']}", "", *entry["setup"], ""]
        if len(runs) < entry["expected_runs"]:
            lines += [f"**Partial**: {len(runs)} of the tier's {entry['expected_runs']} runs finished; the tables hold those.", ""]
        lines += [
            f"{len(runs)} runs, seeds {seeds}; this entry's `tables` in {json_name} hold every 95% CI. "
            f"![Dice across steps]({svg_names[_entry_key(entry)]})",
            "",
        ]
        lines += ["### Can the seeds separate the methods?", "", *separability(tables), *forgetting_separability(tables), ""]
        lines.append(_demote(tables_markdown(tables)).rstrip("\n"))
        if entry.get("compute"):
            lines += ["", "### Compute per step: our design against a decoder per step", "", *compute_markdown(entry["compute"])]
    return align_tables("\n".join(lines) + "\n")


def write_results(results: dict[str, Any], base: Path) -> None:
    """Write <base>.json, <base>.md and <base>-<tier>-<hardware>.svg per entry."""
    base.parent.mkdir(parents=True, exist_ok=True)
    svg_names = {}
    for entry in results["entries"]:
        runs = [run_from_json(r) for r in entry["runs"]]
        name = f"{base.name}-{_slug(entry['tier'])}-{_slug(entry['hardware'])}.svg"
        (base.parent / name).write_text(dice_across_steps_svg(runs))
        svg_names[_entry_key(entry)] = name
    base.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    base.with_suffix(".md").write_text(results_markdown(results, base.with_suffix(".json").name, svg_names))
