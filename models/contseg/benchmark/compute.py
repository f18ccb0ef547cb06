"""Compute per step of inference on one patch as classes are added: our design (one shared backbone + a tiny
generated head per class) against a decoder-per-step design (a shared encoder and a separate SwinUNETR decoder for
each continual step, as a class-incremental baseline that cannot touch old decoders would need).

FLOPs come from torch.utils.flop_counter on meta tensors (shapes only, no arithmetic: any scale is cheap, e.g. the
paper's feature size 48 and 96^3 patch); wall time is measured with real forward passes on this machine's device.
"""

from __future__ import annotations

import copy
import math
import statistics
import time
from collections.abc import Callable
from functools import lru_cache

import torch
from monai.networks.nets import SwinUNETR
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..network.embeddings import EMBED_DIM
from ..network.segmenter import ContinualSegmenter
from .config import ComputeConfig
from .runner import hardware_label

GIGA = 1e9
DECODER_BLOCKS = ("decoder5", "decoder4", "decoder3", "decoder2", "decoder1")


@lru_cache(maxsize=4)
def _template(feature_size: int, device_type: str) -> ContinualSegmenter:
    """A class-less model built once per feature size, on the CPU or the meta device (SwinUNETR's random
    initialisation takes tens of seconds at feature size 48 on a CPU; copies are cheap, meta copies free)."""
    if device_type == "meta":
        return copy.deepcopy(_template(feature_size, "cpu")).to("meta")
    return ContinualSegmenter(feature_size=feature_size).eval()


def _copy_of_template(feature_size: int, device: torch.device) -> ContinualSegmenter:
    return copy.deepcopy(_template(feature_size, "meta" if device.type == "meta" else "cpu")).to(device)


def our_design(feature_size: int, classes: int, device: torch.device) -> ContinualSegmenter:
    """Our model with ``classes`` per-class generators on ``device`` (random embeddings: cost does not depend on
    the values)."""
    model = _copy_of_template(feature_size, device)
    with torch.device(device):
        for i in range(classes):
            model.add_class(f"class-{i:02d}", torch.randn(EMBED_DIM), "clip")
    return model.eval()


class DecoderPerStep(nn.Module):
    """SwinUNETR encoder shared by all steps, plus per step a full decoder (decoder5..decoder1 and a 1x1x1 output
    convolution to that step's classes). image [B, 1, D, H, W] -> logits [B, sum of step classes, D, H, W]."""

    def __init__(self, swin: SwinUNETR, feature_size: int, classes_per_step: list[int]) -> None:
        super().__init__()
        if not classes_per_step or min(classes_per_step) < 1:
            raise ValueError(f"each step needs at least one class, got {classes_per_step}")
        self.encoder = nn.ModuleDict({n: getattr(swin, n) for n in ("swinViT", "encoder1", "encoder2", "encoder3", "encoder4", "encoder10")})
        self.normalize = swin.normalize
        self.decoders = nn.ModuleList(
            nn.ModuleList([*(copy.deepcopy(getattr(swin, n)) for n in DECODER_BLOCKS), nn.Conv3d(feature_size, k, kernel_size=1)])
            for k in classes_per_step
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """image [B, 1, D, H, W] -> logits [B, C, D, H, W]."""
        e = self.encoder
        hidden = e["swinViT"](image, self.normalize)
        skips = (e["encoder1"](image), e["encoder2"](hidden[0]), e["encoder3"](hidden[1]), e["encoder4"](hidden[2]))
        bottleneck = e["encoder10"](hidden[4])
        outputs = []
        for d5, d4, d3, d2, d1, out in self.decoders:  # type: ignore[misc]
            x = d5(bottleneck, hidden[3])
            x = d4(x, skips[3])
            x = d3(x, skips[2])
            x = d2(x, skips[1])
            outputs.append(out(d1(x, skips[0])))
        return torch.cat(outputs, dim=1)


def step_sizes(classes: int, classes_per_step: int) -> list[int]:
    """Classes of each step when ``classes`` arrive ``classes_per_step`` at a time (the last step may be smaller)."""
    steps = math.ceil(classes / classes_per_step)
    return [min(classes_per_step, classes - i * classes_per_step) for i in range(steps)]


def build_models(feature_size: int, classes: int, classes_per_step: int, device: torch.device) -> dict[str, nn.Module]:
    """{"ours": ..., "decoder-per-step": ...} with ``classes`` classes on ``device`` ("meta": shapes only)."""
    decoders = DecoderPerStep(_copy_of_template(feature_size, device).swin, feature_size, step_sizes(classes, classes_per_step))
    return {"ours": our_design(feature_size, classes, device), "decoder-per-step": decoders.to(device).eval()}


def count_gflop(model: nn.Module, patch: tuple[int, ...]) -> float:
    """GFLOP (a multiply-add counts 2) of one forward pass of a meta-device ``model`` on one [1, 1, *patch] patch."""
    if any(p.device.type != "meta" for p in model.parameters()):
        raise ValueError("count FLOPs on a model built on the meta device (build_models(..., torch.device('meta')))")
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.empty(1, 1, *patch, device="meta"))
    if tuple(out.shape[2:]) != tuple(patch):
        raise RuntimeError(f"model output {tuple(out.shape)} does not cover the patch {patch}")
    return counter.get_total_flops() / GIGA


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_ms(run: Callable[[], object], device: torch.device, repeats: int) -> float:
    """Median wall time in milliseconds of ``repeats`` calls of ``run`` after one warm-up call."""
    run()
    _synchronise(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        _synchronise(device)
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def measure_compute(config: ComputeConfig) -> dict[str, object]:
    """FLOPs at both scales for each class count and wall time (ms; None where not timed), both designs.

    Returns {"hardware", "classes_per_step", "wall_scale", "flops_scale", "rows": [{"classes", "steps",
    "<design>": {"gflop", "gflop_paper_scale", "ms"}}]}.
    """
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    patch = tuple(config.patch)
    image = torch.rand(1, 1, *patch, device=device)
    rows = []
    for classes in config.classes:
        row: dict[str, object] = {"classes": classes, "steps": len(step_sizes(classes, config.classes_per_step))}
        meta = torch.device("meta")
        small = build_models(config.feature_size, classes, config.classes_per_step, meta)
        large = build_models(config.flops_feature_size, classes, config.classes_per_step, meta)
        timed = classes in (config.timed_classes or config.classes)
        for name, model in (build_models(config.feature_size, classes, config.classes_per_step, device) if timed else small).items():
            ms = None
            if timed:
                with torch.no_grad():
                    ms = round(time_ms(lambda model=model: model(image), device, config.repeats), 1)
            row[name] = {
                "ms": ms,
                "gflop": round(count_gflop(small[name], patch), 3),
                "gflop_paper_scale": round(count_gflop(large[name], tuple(config.flops_patch)), 2),
            }
        rows.append(row)
    return {
        "hardware": hardware_label(),
        "classes_per_step": config.classes_per_step,
        "wall_scale": {"feature_size": config.feature_size, "patch": list(patch), "repeats": config.repeats},
        "flops_scale": {"feature_size": config.flops_feature_size, "patch": list(config.flops_patch)},
        "rows": rows,
    }
