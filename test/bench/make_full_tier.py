"""The full-tier timing model for `npm run bench`: the paper's architecture (SwinUNETR feature size 48, 96^3 patch)
with seeded untrained weights and the release model's 13 classes, exported as a registry-format model folder.

Usage: python make_full_tier.py OUT_DIR [--depth-stacked-convs] [--fp16]
       (writes OUT_DIR/checkpoint/final.pt and OUT_DIR/full-tier-timing/; --depth-stacked-convs exports the
       WebGPU-only graph with stride-1 Conv3d as depth-stacked Conv2d, see contseg.export.torch_rewrites; --fp16 also
       writes backbone.fp16.onnx)

No trained full-tier model exists on this machine, and the time of a dense network does not depend on its weight
values: backbone and heads cost the same as a trained model's, so time(32 classes) / time(1 class) per patch is the
trained model's. The masks of untrained weights are not organs, so the stages after the heads (post-processing, SEG
writing) are not representative and the report says so. The spacing (4 mm) makes the 3 mm phantom one 96^3 patch,
so a case times one backbone run at 2 CPU cores' pace (about a minute) instead of the 80 patches of 1.5 mm.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from contseg.export.release import ReleaseOptions, export_release
from contseg.network import ContinualSegmenter
from contseg.network.checkpoint import save_checkpoint
from contseg.network.embeddings import one_hot_embedding

FEATURE_SIZE = 48
PATCH = 96
SPACING_MM = 4.0
MODEL_ID = "full-tier-timing"


def build(registry_manifest: Path, seed: int = 0) -> tuple[ContinualSegmenter, list[str]]:
    """The untrained full-tier network with the registry model's classes (one-hot embeddings: no CLIP file needed)."""
    torch.manual_seed(seed)
    model = ContinualSegmenter(feature_size=FEATURE_SIZE).eval()
    names = [c["name"] for c in json.loads(registry_manifest.read_text())["classes"]]
    for name in names:
        model.add_class(name, one_hot_embedding(name), "one-hot")
    return model, names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--registry-manifest", type=Path, default=Path(__file__).resolve().parents[2] / "models/registry/abdomen-fast/manifest.json")
    parser.add_argument("--depth-stacked-convs", action="store_true", help="WebGPU-only graph: stride-1 Conv3d as Conv2d")
    parser.add_argument("--fp16", action="store_true", help="also write backbone.fp16.onnx")
    args = parser.parse_args(argv)
    model, names = build(args.registry_manifest)
    checkpoint = args.out / "checkpoint" / "final.pt"
    lineage = [{"step": 1, "name": "untrained", "dataset": "none (timing only)", "new_classes": names, "mode": "full", "iterations": 0, "seed": 0}]
    preprocess = {"spacing": [SPACING_MM] * 3, "patch": [PATCH] * 3, "overlap": 0.25, "window_hu": [-175.0, 250.0], "orientation": "RAS", "padding": "replicate"}
    save_checkpoint(checkpoint, model, lineage=lineage, preprocess=preprocess)
    export_release(ReleaseOptions(
        checkpoint=checkpoint, out=args.out / MODEL_ID, version="0.0.0", model_id=MODEL_ID, replace=True,
        depth_stacked_convs=args.depth_stacked_convs, fp16=args.fp16,
        description=f"Full-tier architecture (SwinUNETR feature size {FEATURE_SIZE}, {PATCH}^3 patch) with untrained weights, "
                    f"at {SPACING_MM:g} mm so that the phantom is one patch: its time per patch is a trained full-tier model's; "
                    "its masks are not organs, so the stages after the heads (post-processing, SEG) are not representative"
                    + ("; stride-1 Conv3d exported as depth-stacked Conv2d (WebGPU-only graph)" if args.depth_stacked_convs else ""),
    ))
    return 0


if __name__ == "__main__":
    sys.exit(main())
