"""heads.onnx is class heads as data: ONNX Runtime on the folded generator weights of any class subset equals
PyTorch's ClassHeads, and class files round-trip exactly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from contseg.export.heads import CLASS_FILE_BYTES, HEADS_INPUTS, HEADS_OUTPUT, class_slug, export_heads, read_class_file, write_class_file
from contseg.network import ContinualSegmenter, FoldedHeads, stack_folded


@pytest.fixture(scope="module")
def heads_session(tmp_path_factory: pytest.TempPathFactory) -> tuple[ort.InferenceSession, Path]:
    path = export_heads(tmp_path_factory.mktemp("heads") / "heads.onnx")
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]), path


def test_heads_graph_io_names_and_dynamic_axes(heads_session: tuple[ort.InferenceSession, Path]) -> None:
    """Inputs and output are exactly docs/architecture.md's; batch, class count and spatial axes are symbolic."""
    model = onnx.load(str(heads_session[1]))
    assert [i.name for i in model.graph.input] == list(HEADS_INPUTS)
    assert [o.name for o in model.graph.output] == [HEADS_OUTPUT]
    dims = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input}
    assert dims["gen_w1"][1:] == [512, 256] and isinstance(dims["gen_w1"][0], str)
    assert dims["gen_w2"][1:] == [153, 512]
    assert dims["head_input"][1] == 8 and all(isinstance(d, str) for d in dims["head_input"][2:])


@pytest.mark.parametrize("classes", [["liver"], ["liver tumour", "spleen", "liver"]])
def test_heads_onnx_equals_pytorch_class_heads(
    heads_session: tuple[ort.InferenceSession, Path], random_model: Callable[[int], ContinualSegmenter], classes: list[str]
) -> None:
    """ORT CPU logits from folded class files == ClassHeads(feature, head_input, classes) within 1e-4."""
    model = random_model(3)
    torch.manual_seed(4)
    feature, head_input = torch.randn(2, 256), torch.randn(2, 8, 5, 6, 7)
    with torch.no_grad():
        expected = model.heads(feature, head_input, classes).numpy()
    gens = stack_folded([model.fold(c) for c in classes])
    feeds = {"feature": feature.numpy(), "head_input": head_input.numpy()}
    feeds.update({f"gen_{k}": v.numpy() for k, v in gens._asdict().items()})
    got = heads_session[0].run(None, feeds)[0]
    assert got.shape == (2, len(classes), 5, 6, 7)
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-5)


def test_heads_graph_is_fused_matmuls_without_einsum(heads_session: tuple[ort.InferenceSession, Path]) -> None:
    """The graph has no Einsum (slow on onnxruntime-web WASM) and a fixed 5 MatMuls (2 generator layers, 3 head
    layers) for any class count: all classes' heads run as one grouped product per layer, not one per class."""
    ops = [n.op_type for n in onnx.load(str(heads_session[1])).graph.node]
    assert "Einsum" not in ops
    assert ops.count("MatMul") == 5


def test_fused_heads_equal_folded_heads_for_32_classes(heads_session: tuple[ort.InferenceSession, Path]) -> None:
    """ORT on the fused graph == contseg.network.FoldedHeads (the Einsum reference) at C = 32, B = 2."""
    torch.manual_seed(7)
    c = 32
    feeds = {
        "feature": torch.randn(2, 256),
        "head_input": torch.randn(2, 8, 3, 4, 5),
        "gen_w1": torch.randn(c, 512, 256) * 0.05,
        "gen_b1": torch.randn(c, 512) * 0.1,
        "gen_w2": torch.randn(c, 153, 512) * 0.05,
        "gen_b2": torch.randn(c, 153) * 0.1,
    }
    with torch.no_grad():
        expected = FoldedHeads()(*feeds.values()).numpy()
    got = heads_session[0].run(None, {k: v.numpy() for k, v in feeds.items()})[0]
    assert got.shape == (2, c, 3, 4, 5)
    np.testing.assert_allclose(got, expected, atol=1e-4 * float(np.abs(expected).max()), rtol=1e-5)


def test_class_file_round_trip_and_size_check(tmp_path: Path, random_model: Callable[[int], ContinualSegmenter]) -> None:
    """A class file holds the folded generator bit-exactly in 840,292 bytes; a truncated file is refused."""
    generator = random_model(5).fold("liver tumour")
    path = write_class_file(generator, tmp_path / "classes" / f"{class_slug('liver tumour')}.f32")
    assert path.name == "liver-tumour.f32"
    assert path.stat().st_size == CLASS_FILE_BYTES == 840_292
    for a, b in zip(read_class_file(path), generator):
        assert torch.equal(a, b)
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(ValueError, match="expected 840292 bytes"):
        read_class_file(path)


def test_class_file_refuses_nan(tmp_path: Path, random_model: Callable[[int], ContinualSegmenter]) -> None:
    """NaN weights are refused and leave no file behind."""
    generator = random_model(6).fold("liver")
    generator.b1[0] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        write_class_file(generator, tmp_path / "liver.f32")
    assert not any(tmp_path.iterdir())
