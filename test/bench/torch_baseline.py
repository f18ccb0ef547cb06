"""PyTorch baseline of a registry model for `npm run bench`: time per patch of backbone and class heads, and FLOPs.

Usage: python torch_baseline.py MANIFEST_JSON --classes 1,4,13,32 [--threads N] [--reps N] [--device cpu|cuda]
       [--checkpoint PATH ...]

The weights are those of the first --checkpoint whose folded class generators equal the registry's class files
byte for byte (so the same network the ONNX files were exported from). Without such a checkpoint, the same
architecture (manifest featureSize) is timed with random weights and the output says so: the time of a dense
network does not depend on its weight values. Class counts above the model's classes reuse its generators in turn
(class k runs generator k mod n), exactly as the engine benchmark does. Heads run as PyTorch's FoldedHeads
(the network's Einsum form) and as the exported FusedHeads (grouped MatMuls); the faster is the baseline. On CUDA
the backbone is also timed under fp16 autocast (``backboneMsAutocastFp16``), the reference for an fp16 backbone.
Also counts (not times) the FLOPs of the full-tier architecture, feature size 48 at a 96^3 patch (method.md), on
PyTorch's meta device: the per-class FLOP floor the constant-cost claim is about. Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from contseg.export.heads import CLASS_FILE_SHAPES, FusedHeads, read_class_file
from contseg.network import ContinualSegmenter, FoldedGenerator, FoldedHeads, load_checkpoint, stack_folded


def matching_checkpoint(candidates: list[Path], registry: Path, manifest: dict) -> tuple[ContinualSegmenter, Path] | None:
    """The first checkpoint whose folded generators equal every class file of the registry folder, or None."""
    for path in candidates:
        if not path.is_file():
            continue
        model, _ = load_checkpoint(path)
        names = set(model.class_names)
        if any(c["name"] not in names for c in manifest["classes"]):
            continue
        if all(
            all(torch.equal(a, b) for a, b in zip(model.fold(c["name"]), read_class_file(registry / c["file"])))
            for c in manifest["classes"]
        ):
            return model, path
    return None


def timed(fn: Callable[[], object], reps: int, sync: Callable[[], None]) -> float:
    """Median wall time of ``fn`` in ms over ``reps`` runs after one warm-up run."""
    fn()
    sync()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def flops(fn: Callable[[], object]) -> int:
    """Floating-point operations of one call (multiply-add = 2), as torch's FlopCounterMode counts them."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return int(counter.get_total_flops())


FULL_TIER_FEATURE_SIZE = 48
FULL_TIER_PATCH = (96, 96, 96)


def full_tier_flops(counts: list[int]) -> dict[str, object]:
    """FLOPs of one full-tier patch (feature size 48, 96^3): backbone, its 3x3x3 convolutions at full resolution
    (the conv probe's kind), and FusedHeads per class count.

    Counted on the meta device (shapes only, no arithmetic), so it takes seconds; FLOPs do not depend on weights.
    """
    model = ContinualSegmenter(feature_size=FULL_TIER_FEATURE_SIZE).eval().to("meta")
    full_resolution: list[int] = []

    def count_conv(module: nn.Conv3d, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        if tuple(module.kernel_size) == (3, 3, 3) and tuple(output.shape[2:]) == FULL_TIER_PATCH:
            full_resolution.append(2 * module.in_channels * module.out_channels * 27 * output[0, 0].numel())

    for module in model.modules():
        if isinstance(module, nn.Conv3d):
            module.register_forward_hook(count_conv)
    with torch.device("meta"), torch.inference_mode():
        image = torch.empty(1, 1, *FULL_TIER_PATCH)
        backbone = lambda: model.backbone_forward(image)  # noqa: E731
        feature, head_input = backbone()
        full_resolution_flops = sum(full_resolution)
        heads = {}
        for count in counts:
            weights = stack_folded([FoldedGenerator(*(torch.empty(s) for s in CLASS_FILE_SHAPES))] * count)
            heads[str(count)] = flops(lambda: FusedHeads()(feature, head_input, *weights))
        return {
            "featureSize": FULL_TIER_FEATURE_SIZE,
            "patch": list(FULL_TIER_PATCH),
            "backboneFlops": flops(backbone),
            "fullResolutionConv3x3Flops": full_resolution_flops,
            "headsFlops": heads,
        }



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--classes", default="1,4,13,32")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--checkpoint", type=Path, action="append", default=[])
    args = parser.parse_args()
    counts = [int(c) for c in args.classes.split(",")]
    if any(c < 1 for c in counts):
        sys.exit(f"--classes must be positive integers, got {args.classes}")
    torch.set_num_threads(args.threads)
    manifest = json.loads(args.manifest.read_text())
    registry = args.manifest.parent
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)

    found = matching_checkpoint(args.checkpoint, registry, manifest)
    if found:
        model, source = found[0], f"checkpoint {found[1]} (class generators equal the registry's class files)"
    else:
        torch.manual_seed(0)
        model = ContinualSegmenter(feature_size=int(manifest["network"]["featureSize"]))
        source = "random weights, same architecture (no checkpoint matching the registry's class files was given)"
    model = model.to(device).eval()
    generators: list[FoldedGenerator] = [read_class_file(registry / c["file"]) for c in manifest["classes"]]

    patch = manifest["preprocess"]["patch"]
    torch.manual_seed(1)
    image = torch.rand(1, 1, *patch, device=device)
    out: dict[str, object] = {
        "torch": torch.__version__,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "threads": args.threads,
        "weights": source,
        "patch": patch,
        "results": [],
    }
    with torch.inference_mode():
        backbone = lambda: model.backbone_forward(image)  # noqa: E731
        out["backboneMs"] = timed(backbone, args.reps, sync)
        out["backboneFlops"] = flops(backbone)
        if device.type == "cuda":  # the reference for an fp16 backbone on WebGPU
            with torch.autocast("cuda", dtype=torch.float16):
                out["backboneMsAutocastFp16"] = timed(backbone, args.reps, sync)
        feature, head_input = backbone()
        for count in counts:
            stacked = stack_folded([generators[k % len(generators)] for k in range(count)])
            weights = [t.to(device) for t in stacked]
            heads = {
                "FoldedHeads (Einsum)": lambda: FoldedHeads()(feature, head_input, *weights),
                "FusedHeads (grouped MatMul)": lambda: FusedHeads()(feature, head_input, *weights),
            }
            times = {name: timed(fn, args.reps, sync) for name, fn in heads.items()}
            best = min(times, key=times.__getitem__)
            head_flops = flops(heads["FusedHeads (grouped MatMul)"])
            results = out["results"]
            assert isinstance(results, list)
            results.append(
                {
                    "classes": count,
                    "headsMs": times[best],
                    "headsImpl": best,
                    "headsMsByImpl": times,
                    "headsFlops": head_flops,
                    "patchMs": float(out["backboneMs"]) + times[best],  # type: ignore[arg-type]
                }
            )
            del weights
    out["fullTier"] = full_tier_flops(counts)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
