"""ONNX-graph passes and checks for onnxruntime-web's WebGPU execution provider.

A WebGPU kernel binds each input and output as a storage buffer; onnxruntime-web's device keeps the default limit
of 8 storage buffers per shader stage, so a node with more than 8 tensors (an 8-input Concat from Swin patch
merging: 8 inputs + 1 output) builds an invalid pipeline and silently outputs zeros (platform.md).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
import onnx
from onnx import helper, numpy_helper

# Default WebGPU maxStorageBuffersPerShaderStage, which onnxruntime-web requests.
MAX_STORAGE_BUFFERS = 8
# Concat arity after splitting: 4 inputs + 1 output = 5 buffers, well under the limit.
MAX_CONCAT_INPUTS = 4


def split_wide_concats(model: onnx.ModelProto, max_inputs: int = MAX_CONCAT_INPUTS) -> int:
    """Rewrite every Concat with more than ``max_inputs`` inputs into a tree of Concats (in place).

    Concatenation is associative along one axis, so Concat(x0..x7) == Concat(Concat(x0..x3), Concat(x4..x7)).
    Returns the number of Concats rewritten. Node order stays topological (new nodes go where the old one was).
    """
    if max_inputs < 2:
        raise ValueError(f"max_inputs must be at least 2, got {max_inputs}")
    graph = model.graph
    rewritten = 0
    new_nodes: list[onnx.NodeProto] = []
    for node in graph.node:
        if node.op_type != "Concat" or node.domain not in ("", "ai.onnx") or len(node.input) <= max_inputs:
            new_nodes.append(node)
            continue
        axis = next(a.i for a in node.attribute if a.name == "axis")
        base = node.name or node.output[0]
        level = list(node.input)
        depth = 0
        while len(level) > max_inputs:
            next_level = []
            for start in range(0, len(level), max_inputs):
                group = level[start : start + max_inputs]
                if len(group) == 1:
                    next_level.append(group[0])
                    continue
                out = f"{base}/split{depth}_{start // max_inputs}"
                new_nodes.append(helper.make_node("Concat", group, [out], name=out, axis=axis))
                next_level.append(out)
            level = next_level
            depth += 1
        new_nodes.append(helper.make_node("Concat", level, list(node.output), name=node.name, axis=axis))
        rewritten += 1
    del graph.node[:]
    graph.node.extend(new_nodes)
    return rewritten


def storage_buffer_violations(model: onnx.ModelProto, limit: int = MAX_STORAGE_BUFFERS) -> list[str]:
    """Nodes that would bind more than ``limit`` storage buffers (non-empty inputs + outputs), as 'op name (n)'."""
    bad = []
    for node in model.graph.node:
        n = sum(1 for name in node.input if name) + sum(1 for name in node.output if name)
        if n > limit:
            bad.append(f"{node.op_type} {node.name} ({n})")
    return bad


def op_types(model: onnx.ModelProto) -> Counter[str]:
    """How many nodes of each op type the main graph holds (domain-qualified when not the default domain)."""
    return Counter(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}.{n.op_type}" for n in model.graph.node)


def unsupported_ops(model: onnx.ModelProto, supported: Iterable[str]) -> dict[str, int]:
    """Op types in the graph that are not in ``supported``, with their counts."""
    allowed = set(supported)
    return {op: n for op, n in op_types(model).items() if op not in allowed}


def initializer_bytes(model: onnx.ModelProto) -> int:
    """Bytes of all initializers and Constant-node tensors (what dominates the file size)."""
    total = sum(numpy_helper.to_array(t).nbytes for t in model.graph.initializer)
    for node in model.graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.TENSOR:
                    total += numpy_helper.to_array(attr.t).nbytes
    return total


def largest_constants(model: onnx.ModelProto, count: int = 5) -> list[tuple[str, tuple[int, ...], int]]:
    """The ``count`` largest initializers as (name, shape, bytes), largest first (for size diagnostics)."""
    sizes = [(t.name, tuple(t.dims), int(np.prod(t.dims, dtype=np.int64)) * _itemsize(t.data_type)) for t in model.graph.initializer]
    return sorted(sizes, key=lambda s: -s[2])[:count]


def _itemsize(data_type: int) -> int:
    return np.dtype(helper.tensor_dtype_to_np_dtype(data_type)).itemsize


def sort_topologically(model: onnx.ModelProto) -> None:
    """Reorder the main graph's nodes so every node comes after the producers of its inputs (in place).

    Some rewriters (the float16 converter) append their Cast nodes at the end; the ONNX checker needs order.
    """
    graph = model.graph
    available = {i.name for i in graph.input} | {t.name for t in graph.initializer} | {""}
    pending = list(graph.node)
    ordered: list[onnx.NodeProto] = []
    while pending:
        ready = [n for n in pending if all(name in available for name in n.input)]
        if not ready:
            missing = sorted({name for n in pending for name in n.input if name not in available})[:5]
            raise ValueError(f"graph has a cycle or dangling inputs: {missing}")
        ready_ids = {id(n) for n in ready}
        for node in ready:
            ordered.append(node)
            available.update(node.output)
        pending = [n for n in pending if id(n) not in ready_ids]
    del graph.node[:]
    graph.node.extend(ordered)


def strip_node_annotations(model: onnx.ModelProto) -> int:
    """Drop the PyTorch source annotations the dynamo exporter writes on every node (metadata: namespace, class
    hierarchy, FX node; doc strings): debugging text only, about 8 % of a backbone file. Returns the nodes changed."""
    changed = 0
    for node in model.graph.node:
        if node.metadata_props or node.doc_string:
            del node.metadata_props[:]
            node.doc_string = ""
            changed += 1
    return changed
