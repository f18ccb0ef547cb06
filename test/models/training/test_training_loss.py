"""The masked BCE + Dice loss and the learning-rate schedule."""

from __future__ import annotations

import math

import pytest
import torch

from contseg.training import masked_bce_dice_loss, warmup_cosine


def test_loss_matches_the_hand_value_for_zero_logits_on_an_all_positive_class() -> None:
    n = 8
    logits = torch.zeros(1, 1, 2, 2, 2)
    target = torch.ones(1, 1, 2, 2, 2, dtype=torch.int8)
    expected = math.log(2.0) + 1.0 - (2 * 0.5 * n + 1) / (0.5 * n + n + 1)
    assert masked_bce_dice_loss(logits, target).item() == pytest.approx(expected, rel=1e-6)


def test_voxels_marked_minus_one_neither_change_the_loss_nor_receive_gradient() -> None:
    torch.manual_seed(0)
    target = torch.randint(0, 2, (2, 3, 4, 4, 4), dtype=torch.int8)
    target[:, 1, :2] = -1  # part of a class unlabelled
    target[1, 2] = -1  # a whole class unlabelled in one item
    logits = torch.randn(2, 3, 4, 4, 4, requires_grad=True)
    loss = masked_bce_dice_loss(logits, target)
    loss.backward()
    assert logits.grad is not None
    assert bool((logits.grad[target == -1] == 0).all())
    changed = logits.detach().clone()
    changed[target == -1] = 100.0
    assert masked_bce_dice_loss(changed, target).item() == pytest.approx(loss.item(), rel=1e-6)


def test_a_batch_with_no_labelled_voxel_is_an_error_not_a_zero_loss() -> None:
    with pytest.raises(ValueError, match="no labelled voxel"):
        masked_bce_dice_loss(torch.zeros(1, 2, 2, 2, 2), torch.full((1, 2, 2, 2, 2), -1, dtype=torch.int8))


def test_schedule_warms_up_linearly_then_decays_to_zero() -> None:
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = warmup_cosine(opt, warmup=4, total=10)
    lrs = []
    for _ in range(10):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    assert lrs[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert lrs[4] == pytest.approx(1.0) and lrs[9] == pytest.approx(0.5 * (1 + math.cos(math.pi * 5 / 6)))
    assert all(a >= b for a, b in zip(lrs[3:], lrs[4:]))
