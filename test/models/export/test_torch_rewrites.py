"""The PyTorch rewrites before export change no number: the pixel-shuffle upsample equals ConvTranspose3d, the
depth-stacked Conv2d equals a stride-1 Conv3d, the compact Swin masks equal MONAI's, and a rewritten model computes
what the original does."""

from __future__ import annotations

import pytest
import torch
from monai.networks.nets import swin_unetr
from torch import nn

from contseg.export.torch_rewrites import (
    DepthStackedConv3d,
    PixelShuffleUpsample3d,
    compact_compute_mask,
    compact_swin_masks,
    share_relative_position_index,
    swap_stride1_convs,
    swap_transposed_convs,
    webgpu_ready_copy,
)
from contseg.network import ContinualSegmenter


@pytest.mark.parametrize(("cin", "cout", "bias"), [(5, 3, True), (16, 8, False), (1, 1, True)])
def test_pixel_shuffle_upsample_equals_conv_transpose(cin: int, cout: int, bias: bool) -> None:
    """A kernel = stride = 2 ConvTranspose3d and its 1x1x1 conv + pixel shuffle agree to float rounding."""
    torch.manual_seed(cin)
    transposed = nn.ConvTranspose3d(cin, cout, kernel_size=2, stride=2, bias=bias)
    x = torch.randn(2, cin, 3, 4, 5)
    with torch.no_grad():
        expected = transposed(x)
        got = PixelShuffleUpsample3d(transposed)(x)
    assert got.shape == expected.shape == (2, cout, 6, 8, 10)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_swap_replaces_every_conv_transpose_and_refuses_other_kernels() -> None:
    """Every ConvTranspose3d of a SwinUNETR decoder is replaced; one with kernel 3 is refused by name."""
    model = ContinualSegmenter(feature_size=12)
    count = swap_transposed_convs(model)
    assert count == 5
    assert not any(isinstance(m, nn.ConvTranspose3d) for m in model.modules())
    odd = nn.Sequential(nn.ConvTranspose3d(2, 2, kernel_size=3, stride=2))
    with pytest.raises(ValueError, match="0: ConvTranspose3d"):
        swap_transposed_convs(odd)


@pytest.mark.parametrize(
    ("kernel", "padding", "bias"), [(3, 1, True), (3, 1, False), (1, 0, True), ((3, 1, 3), (1, 0, 1), True), (3, 0, True)]
)
def test_depth_stacked_conv2d_equals_conv3d(kernel: int | tuple, padding: int | tuple, bias: bool) -> None:
    """A stride-1 Conv3d and its Conv2d over depth slices with stacked depth neighbours agree to float rounding,
    for any batch (the depth slices share the batch axis)."""
    torch.manual_seed(3)
    conv = nn.Conv3d(5, 7, kernel, padding=padding, bias=bias)
    x = torch.randn(3, 5, 6, 9, 8)
    with torch.no_grad():
        expected = conv(x)
        got = DepthStackedConv3d(conv)(x)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_swap_leaves_only_strided_conv3d() -> None:
    """Every stride-1 Conv3d of the segmenter becomes 2-D; the strided Swin patch embedding stays; a strided or
    dilated Conv3d cannot be rewritten."""
    model = ContinualSegmenter(feature_size=12)
    swap_transposed_convs(model)
    assert swap_stride1_convs(model) == 33
    assert [name for name, m in model.named_modules() if isinstance(m, nn.Conv3d)] == ["swin.swinViT.patch_embed.proj"]
    for odd in (nn.Conv3d(2, 2, 3, stride=2), nn.Conv3d(2, 2, 3, dilation=2), nn.Conv3d(2, 2, 3, padding_mode="reflect")):
        with pytest.raises(ValueError, match="only stride-1"):
            DepthStackedConv3d(odd)


@pytest.mark.parametrize("dims", [(49, 49, 49), (28, 28, 28), (14, 14, 14), (7, 7, 7), (35, 14, 21)])
def test_compact_mask_equals_monai(dims: tuple[int, int, int]) -> None:
    """compact_compute_mask gives exactly MONAI's shifted-window attention mask."""
    expected = swin_unetr.compute_mask(list(dims), (7, 7, 7), (3, 3, 3), "cpu")
    got = compact_compute_mask(list(dims), (7, 7, 7), (3, 3, 3), "cpu")
    assert torch.equal(got, expected)


def test_rewritten_copy_computes_the_same_backbone_outputs() -> None:
    """webgpu_ready_copy (with the opt-in depth-stacked convs) + compact masks: same feature and head input as the
    untouched model, which stays as it was; by default the copy keeps its Conv3d (WASM's memory, see the module)."""
    torch.manual_seed(1)
    model = ContinualSegmenter(feature_size=12).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert not any(isinstance(m, DepthStackedConv3d) for m in webgpu_ready_copy(model).modules())
    clone = webgpu_ready_copy(model, depth_stacked_convs=True)
    x = torch.rand(1, 1, 64, 64, 64)
    with torch.no_grad():
        feature, head_input = model.backbone_forward(x)
        with compact_swin_masks():
            feature2, head_input2 = clone.backbone_forward(x)
    torch.testing.assert_close(feature2, feature, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(head_input2, head_input, atol=1e-5, rtol=1e-5)
    assert swin_unetr.compute_mask is not compact_compute_mask, "the patch must end with the context"
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())
    assert any(isinstance(m, nn.ConvTranspose3d) for m in model.modules())
    assert not any(isinstance(m, DepthStackedConv3d) for m in model.modules())
    assert sum(isinstance(m, DepthStackedConv3d) for m in clone.modules()) == 33
    assert share_relative_position_index(clone) == 1
