"""Export a training checkpoint as a model folder of the registry.

    models/.venv/bin/python -m contseg.export --checkpoint models/.work/release-fast/final.pt \\
        --out models/registry/abdomen-fast --version 1.0.0 --fp16

Writes backbone.onnx (+ backbone.fp16.onnx with --fp16), heads.onnx, classes/<slug>.f32 and manifest.json into
--out (atomically), checks ONNX Runtime against PyTorch, and adds the model to <out>/../index.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .release import ReleaseOptions, export_release


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m contseg.export", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, required=True, help="a contseg-checkpoint/1 final.pt")
    parser.add_argument("--out", type=Path, required=True, help="model folder to create, e.g. models/registry/abdomen-fast")
    parser.add_argument("--version", required=True, help="semantic version x.y.z")
    parser.add_argument("--fp16", action="store_true", help="also write backbone.fp16.onnx (fp16 weights, fp32 I/O)")
    parser.add_argument("--id", dest="model_id", help="model id (default: the --out folder name)")
    parser.add_argument("--parent", help="the model this continues, as id@version")
    parser.add_argument("--description", default="", help="one line for the manifest and the registry index")
    parser.add_argument("--replace", action="store_true", help="replace an existing --out folder")
    parser.add_argument(
        "--padding", choices=["constant", "replicate"], help="how inference pads a volume smaller than the patch (default: the checkpoint's)"
    )
    parser.add_argument(
        "--depth-stacked-convs", action="store_true",
        help="stride-1 Conv3d as depth-stacked Conv2d: faster on onnxruntime-web's WebGPU EP, too large for WASM at 96^3",
    )
    args = parser.parse_args(argv)
    try:
        manifest = export_release(ReleaseOptions(**vars(args)))
    except (FileExistsError, FileNotFoundError, ValueError, RuntimeError) as e:
        print(f"export failed: {e}", file=sys.stderr)
        return 1
    summary = {"id": manifest["id"], "version": manifest["version"], "files": manifest["files"], "parity": manifest["export"]["parity"]}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
