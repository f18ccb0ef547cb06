"""The dynamic head: parameter split order and the batched (einsum) op against hand computation and conv3d."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from contseg.network import HEAD_PARAM_COUNT, apply_dynamic_heads, split_head_params


def test_split_follows_the_documented_order_w1_w2_w3_b1_b2_b3_with_weights_out_in() -> None:
    params = torch.arange(HEAD_PARAM_COUNT, dtype=torch.float32).reshape(1, 1, -1)
    p = split_head_params(params)
    assert p.w1[0, 0, 2, 5].item() == 2 * 8 + 5  # row = output channel, column = input channel
    assert p.w2[0, 0, 0, 0].item() == 64
    assert p.w3[0, 0, 0, 7].item() == 128 + 7
    assert p.b1[0, 0].tolist() == list(range(136, 144))
    assert p.b2[0, 0].tolist() == list(range(144, 152))
    assert p.b3[0, 0].tolist() == [152]


def test_head_output_matches_a_hand_computed_voxel() -> None:
    # w1 = 2 I, w2 = I with one negative entry, w3 = ones; biases chosen so ReLU clips something.
    w1 = 2 * torch.eye(8)
    w2 = torch.eye(8)
    w2[1, 1] = -1.0
    w3 = torch.ones(1, 8)
    b1 = torch.full((8,), -1.0)
    b2 = torch.zeros(8)
    b3 = torch.tensor([0.5])
    params = torch.cat([w1.flatten(), w2.flatten(), w3.flatten(), b1, b2, b3]).reshape(1, 1, -1)
    x = torch.tensor([0.0, 1.0, 2.0, 3.0, 0.25, 0.5, 0.75, 1.0]).reshape(1, 8, 1, 1, 1)
    # layer 1: relu(2x - 1) = [0, 1, 3, 5, 0, 0, 0.5, 1]; layer 2: channel 1 negated -> relu -> [0,0,3,5,0,0,0.5,1]
    # layer 3: sum + 0.5 = 10.0
    out = apply_dynamic_heads(x, params)
    assert out.shape == (1, 1, 1, 1, 1)
    assert out.item() == 10.0


def test_batched_heads_equal_a_per_item_per_class_conv3d_loop() -> None:
    torch.manual_seed(0)
    b, c = 2, 3
    x = torch.randn(b, 8, 4, 5, 6)
    params = torch.randn(b, c, HEAD_PARAM_COUNT)
    out = apply_dynamic_heads(x, params)
    p = split_head_params(params)
    for i in range(b):
        for k in range(c):
            h = F.relu(F.conv3d(x[i : i + 1], p.w1[i, k].reshape(8, 8, 1, 1, 1), p.b1[i, k]))
            h = F.relu(F.conv3d(h, p.w2[i, k].reshape(8, 8, 1, 1, 1), p.b2[i, k]))
            ref = F.conv3d(h, p.w3[i, k].reshape(1, 8, 1, 1, 1), p.b3[i, k])
            torch.testing.assert_close(out[i, k], ref[0, 0], rtol=1e-5, atol=1e-5)
