"""ONNX graph passes: splitting wide Concats keeps the result and removes every node binding more than 8 WebGPU
storage buffers; topological sorting repairs a graph whose nodes were appended out of order; stripping the
exporter's node annotations leaves the computation as it was."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from contseg.export.onnx_graph import sort_topologically, split_wide_concats, storage_buffer_violations, strip_node_annotations


def concat_model(n: int) -> onnx.ModelProto:
    """x0..x{n-1} [2, 3] each -> Concat(axis=1) -> Relu."""
    inputs = [helper.make_tensor_value_info(f"x{i}", TensorProto.FLOAT, [2, 3]) for i in range(n)]
    nodes = [
        helper.make_node("Concat", [f"x{i}" for i in range(n)], ["cat"], name="wide", axis=1),
        helper.make_node("Relu", ["cat"], ["y"], name="relu"),
    ]
    graph = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3 * n])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])


def run(model: onnx.ModelProto, feeds: dict[str, np.ndarray]) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, feeds)[0]


@pytest.mark.parametrize("n", [8, 5, 17])
def test_split_wide_concat_is_exact_and_within_buffer_limit(n: int) -> None:
    """An n-input Concat becomes a tree of <= 4-input Concats with bit-identical output."""
    model = concat_model(n)
    feeds = {f"x{i}": np.random.default_rng(i).standard_normal((2, 3)).astype(np.float32) for i in range(n)}
    expected = run(model, feeds)
    assert storage_buffer_violations(model) == ([f"Concat wide ({n + 1})"] if n + 1 > 8 else [])
    assert split_wide_concats(model) == 1
    onnx.checker.check_model(model)
    assert all(len(node.input) <= 4 for node in model.graph.node if node.op_type == "Concat")
    assert storage_buffer_violations(model) == []
    np.testing.assert_array_equal(run(model, feeds), expected)


def test_sort_topologically_orders_appended_nodes() -> None:
    """A producer appended after its consumer is moved before it; the checker then accepts the graph."""
    model = concat_model(2)
    nodes = list(model.graph.node)
    del model.graph.node[:]
    model.graph.node.extend(reversed(nodes))
    with pytest.raises(onnx.checker.ValidationError):
        onnx.checker.check_model(model)
    sort_topologically(model)
    onnx.checker.check_model(model)
    assert [n.name for n in model.graph.node] == ["wide", "relu"]


def test_strip_node_annotations_keeps_the_computation() -> None:
    """Node metadata and doc strings go; names, ops, attributes and results stay."""
    model = concat_model(2)
    for node in model.graph.node:
        node.doc_string = "stack trace"
        node.metadata_props.add(key="pkg.torch.onnx.fx_node", value="%cat = call_function[...]")
    feeds = {"x0": np.ones((2, 3), np.float32), "x1": -np.ones((2, 3), np.float32)}
    before = run(model, feeds)
    assert strip_node_annotations(model) == 2
    assert all(not n.metadata_props and not n.doc_string for n in model.graph.node)
    assert [(n.name, n.op_type) for n in model.graph.node] == [("wide", "Concat"), ("relu", "Relu")]
    np.testing.assert_array_equal(run(model, feeds), before)
    assert strip_node_annotations(model) == 0
