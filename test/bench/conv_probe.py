"""The conv probe of `npm run bench`: the full tier's commonest layer alone, one 3x3x3 Conv3d with 48 -> 48 channels on
[1, 48, 96, 96, 96] (110 GFLOP), written as a one-node ONNX graph for the engine's runtime and timed in PyTorch.

Usage: python conv_probe.py ONNX_PATH [--threads N] [--reps N] [--device cpu|cuda]
Prints one JSON object: input shape, FLOPs, PyTorch's median time (ms) and device. The engine side times the same
graph with onnxruntime-web (engine-case.ts --conv-probe): the two runtimes' ratio on one kernel, the bound of the
whole model's ratio where such convolutions hold most of its FLOPs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

from torch_baseline import FULL_TIER_FEATURE_SIZE, FULL_TIER_PATCH, flops, timed

SHAPE = (1, FULL_TIER_FEATURE_SIZE, *FULL_TIER_PATCH)


def write_probe(conv: nn.Conv3d, path: Path) -> None:
    """``conv`` (3x3x3, padding 1) as an ONNX graph with one Conv node: x [1, C, D, H, W] -> y [1, C', D, H, W]."""
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[3, 3, 3], pads=[1] * 6)],
        "conv_probe",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(SHAPE))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, conv.out_channels, *SHAPE[2:]])],
        [numpy_helper.from_array(t.detach().cpu().numpy(), name) for name, t in (("w", conv.weight), ("b", conv.bias))],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=9), path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("onnx_path", type=Path)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    torch.manual_seed(2)
    conv = nn.Conv3d(SHAPE[1], SHAPE[1], 3, padding=1).eval()
    write_probe(conv, args.onnx_path)
    conv = conv.to(device)
    x = torch.rand(*SHAPE, device=device)
    with torch.inference_mode():
        result = {
            "input": list(SHAPE),
            "flops": flops(lambda: conv(x)),
            "torchMs": timed(lambda: conv(x), args.reps, sync),
            "torchDevice": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
