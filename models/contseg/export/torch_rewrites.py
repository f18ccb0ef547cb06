"""PyTorch-side rewrites applied to a copy of the model before ONNX export, so the graph runs on onnxruntime-web's
WebGPU execution provider and stays about as large as its parameters.

- ``PixelShuffleUpsample3d``: onnxruntime-web's WebGPU EP rejects 3-D ConvTranspose. A ConvTranspose3d whose
  kernel equals its stride (2, as in every Swin UNETR decoder block) touches each output voxel exactly once, so it is
  exactly a 1x1x1 Conv to 8x the channels followed by a 3-D pixel shuffle (Reshape + Transpose + Reshape).
- ``DepthStackedConv3d``: onnxruntime-web's WebGPU EP runs a 3-D Conv with a naive shader (one output element per
  thread, no tiling: 0.41 TFLOP/s on an H200, docs/benchmarks-gpu.md) but a 2-D Conv as a tiled matrix product. A
  stride-1 Conv3d with kernel (kd, kh, kw) is exactly a Conv2d over the depth slices (moved into the batch axis) of
  the input with its kd depth neighbours stacked as channels. Opt-in (``depth_stacked_convs``): the stacked and
  transposed copies cost memory, and at feature size 48 and 96^3 they exceed WebAssembly's 4 GB (ORT: bad_alloc),
  so a graph with them is for WebGPU only.
- ``compact_swin_masks``: MONAI builds each shifted-window attention mask [nW, N, N] from a region-id map with
  in-place slice writes; exported as is, that is ~80 ScatterND nodes per stage, and constant folding turns it into
  one huge constant (161 MB for stage 1 of a 96^3 patch). Instead the region ids go into the graph as a small
  constant and the mask is computed at run time by an Equal + Where.
- ``share_relative_position_index``: every attention block holds an equal int64 [343, 343] index buffer (0.9 MB);
  one shared copy keeps the file size near the parameter count.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator

import numpy as np
import torch
from monai.networks.nets import swin_unetr
from torch import nn


class PixelShuffleUpsample3d(nn.Module):
    """Exact replacement of ``ConvTranspose3d(Cin, Cout, kernel_size=2, stride=2)`` (any bias, no padding).

    ConvTranspose: ``y[b, o, 2z+i, 2y+j, 2x+k] = sum_c x[b, c, z, y, x] W[c, o, i, j, k] + bias[o]``.
    Here: a 1x1x1 conv with weight ``W'[(o, i, j, k), c] = W[c, o, i, j, k]`` gives [B, Cout*8, D, H, W], and a
    reshape to [B, Cout, 2, 2, 2, D, H, W], transpose to [B, Cout, D, 2, H, 2, W, 2] and reshape gives
    [B, Cout, 2D, 2H, 2W].
    """

    def __init__(self, transposed: nn.ConvTranspose3d) -> None:
        super().__init__()
        if not is_pixel_shuffle_convtranspose(transposed):
            raise ValueError(f"only ConvTranspose3d with kernel = stride = 2 and no padding can be rewritten: {transposed}")
        cin, cout = transposed.in_channels, transposed.out_channels
        self.out_channels = cout
        weight = transposed.weight.detach()  # [Cin, Cout, 2, 2, 2]
        self.conv = nn.Conv3d(cin, cout * 8, kernel_size=1, bias=transposed.bias is not None)
        with torch.no_grad():
            self.conv.weight.copy_(weight.permute(1, 2, 3, 4, 0).reshape(cout * 8, cin, 1, 1, 1))
            if transposed.bias is not None:
                self.conv.bias.copy_(transposed.bias.detach().repeat_interleave(8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [B, Cin, D, H, W] -> [B, Cout, 2D, 2H, 2W]."""
        d, h, w = x.shape[2:]
        c = self.out_channels
        y = self.conv(x).reshape(-1, c, 2, 2, 2, d, h, w)
        return y.permute(0, 1, 5, 2, 6, 3, 7, 4).reshape(-1, c, 2 * d, 2 * h, 2 * w)


def is_pixel_shuffle_convtranspose(module: nn.Module) -> bool:
    """True for a ConvTranspose3d that PixelShuffleUpsample3d reproduces exactly."""
    return (
        isinstance(module, nn.ConvTranspose3d)
        and tuple(module.kernel_size) == (2, 2, 2)
        and tuple(module.stride) == (2, 2, 2)
        and tuple(module.padding) == (0, 0, 0)
        and tuple(module.output_padding) == (0, 0, 0)
        and tuple(module.dilation) == (1, 1, 1)
        and module.groups == 1
    )


def swap_transposed_convs(model: nn.Module) -> int:
    """Replace every ConvTranspose3d in ``model`` (in place) by a PixelShuffleUpsample3d; returns how many.

    Raises ValueError naming the module if a ConvTranspose3d is not kernel = stride = 2 (it would not run on WebGPU).
    """
    targets = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.ConvTranspose3d)]
    for name, module in targets:
        if not is_pixel_shuffle_convtranspose(module):
            raise ValueError(f"{name}: ConvTranspose3d {module} has no exact WebGPU-friendly rewrite")
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, PixelShuffleUpsample3d(module))
    return len(targets)


class DepthStackedConv3d(nn.Module):
    """Exact replacement of a stride-1, dilation-1, ungrouped ``Conv3d`` with zero padding (pd, ph, pw), pd < kd.

    ``y[b, o, z] = sum_{i < kd} conv2d(x_pad[b, :, z + i], W[:, :, i])``; stacking the kd shifted inputs as channels
    ``S[b, i*C + c, z] = x_pad[b, c, z + i]`` makes it one Conv2d with weight ``W'[o, i*C + c] = W[o, c, i]`` over
    the batch of depth slices [B*D, kd*C, H, W] (memory: kd x the input).
    """

    def __init__(self, conv: nn.Conv3d) -> None:
        super().__init__()
        if not is_depth_stackable(conv):
            raise ValueError(f"only stride-1, dilation-1, ungrouped Conv3d with zero padding can be rewritten: {conv}")
        kd, kh, kw = conv.kernel_size
        self.depth_kernel, self.depth_padding = kd, conv.padding[0]
        self.out_channels = conv.out_channels
        self.conv = nn.Conv2d(kd * conv.in_channels, conv.out_channels, (kh, kw), padding=conv.padding[1:], bias=conv.bias is not None)
        with torch.no_grad():
            self.conv.weight.copy_(conv.weight.detach().permute(0, 2, 1, 3, 4).reshape(self.conv.weight.shape))
            if conv.bias is not None:
                self.conv.bias.copy_(conv.bias.detach())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x [B, Cin, D, H, W] -> [B, Cout, D', H', W'] as the Conv3d."""
        pd = self.depth_padding
        if pd:
            x = nn.functional.pad(x, (0, 0, 0, 0, pd, pd))
        depth = x.shape[2] - self.depth_kernel + 1
        if self.depth_kernel > 1:
            x = torch.cat([x[:, :, i : i + depth] for i in range(self.depth_kernel)], dim=1)
        c, h, w = x.shape[1], x.shape[3], x.shape[4]
        y = self.conv(x.transpose(1, 2).reshape(-1, c, h, w))  # [B*D', Cout, H', W']
        return y.reshape(-1, depth, self.out_channels, y.shape[2], y.shape[3]).transpose(1, 2)


def is_depth_stackable(module: nn.Module) -> bool:
    """True for a Conv3d that DepthStackedConv3d reproduces exactly."""
    return (
        isinstance(module, nn.Conv3d)
        and tuple(module.stride) == (1, 1, 1)
        and tuple(module.dilation) == (1, 1, 1)
        and module.groups == 1
        and module.padding_mode == "zeros"
        and isinstance(module.padding, tuple)
        and module.padding[0] < module.kernel_size[0]
    )


def swap_stride1_convs(model: nn.Module) -> int:
    """Replace every stride-1 Conv3d in ``model`` (in place) by a DepthStackedConv3d; returns how many (strided
    ones, such as the Swin patch embedding, stay 3-D)."""
    targets = [(name, m) for name, m in model.named_modules() if is_depth_stackable(m)]
    for name, module in targets:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, DepthStackedConv3d(module))
    return len(targets)


def _region_ids(dims: tuple[int, int, int], window: tuple[int, int, int], shift: tuple[int, int, int]) -> np.ndarray:
    """The shifted-window region id of every token, exactly as MONAI's compute_mask labels it: [D, H, W] float32."""
    ids = np.zeros(dims, dtype=np.float32)
    count = 0
    bands = [(slice(-w), slice(-w, -s), slice(-s, None)) for w, s in zip(window, shift)]
    for sd in bands[0]:
        for sh in bands[1]:
            for sw in bands[2]:
                ids[sd, sh, sw] = count
                count += 1
    return ids


def compact_compute_mask(dims, window_size, shift_size, device) -> torch.Tensor:  # noqa: ANN001 (MONAI's signature)
    """Drop-in for ``monai.networks.nets.swin_unetr.compute_mask`` (3-D): same [nW, N, N] values (0 or -100).

    The region ids enter the graph as a [D*H*W] constant (0.47 MB for stage 1 of a 96^3 patch); the [nW, N, N]
    mask is computed in the graph, so no exporter can fold it into a constant nW*N*N floats large.
    """
    if len(dims) != 3:
        raise ValueError(f"compact_compute_mask handles 3-D windows only, got dims {dims}")
    ids = torch.from_numpy(_region_ids(tuple(dims), tuple(window_size), tuple(shift_size))).to(device)
    windows = swin_unetr.window_partition(ids[None, :, :, :, None], window_size).squeeze(-1)  # [nW, N]
    same = windows.unsqueeze(1) == windows.unsqueeze(2)  # [nW, N, N]
    return torch.where(same, torch.zeros((), device=device), torch.full((), -100.0, device=device))


@contextlib.contextmanager
def compact_swin_masks() -> Iterator[None]:
    """While active, MONAI's Swin layers build their attention masks with compact_compute_mask."""
    original = swin_unetr.compute_mask
    swin_unetr.compute_mask = compact_compute_mask
    try:
        yield
    finally:
        swin_unetr.compute_mask = original


def share_relative_position_index(model: nn.Module) -> int:
    """Make all Swin attention blocks with equal relative_position_index share one tensor (in place).

    Returns the number of distinct index tensors left (the exporters write a shared tensor once).
    """
    shared: list[torch.Tensor] = []
    for module in model.modules():
        if not isinstance(module, swin_unetr.WindowAttention):
            continue
        index = module.relative_position_index
        match = next((t for t in shared if t.shape == index.shape and torch.equal(t, index)), None)
        if match is None:
            shared.append(index)
            match = index
        module.relative_position_index = match
    return len(shared)


def webgpu_ready_copy(model: nn.Module, depth_stacked_convs: bool = False) -> nn.Module:
    """A deep copy of ``model`` in eval mode with ConvTranspose3d swapped (and, if ``depth_stacked_convs``, every
    stride-1 Conv3d) and Swin index buffers shared.

    Export it inside ``with compact_swin_masks():``. The caller's model is left untouched.
    """
    clone = copy.deepcopy(model).eval()
    swap_transposed_convs(clone)
    if depth_stacked_convs:
        swap_stride1_convs(clone)  # after: the transposed convs' 1x1x1 Conv3d too
    share_relative_position_index(clone)
    return clone
