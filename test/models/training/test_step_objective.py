"""Each strategy's iteration loss on a real tiny model (feature size 12, 64^3 input) against the same quantities
computed independently from the SwinUNETR modules, and the old model frozen and unchanged by training."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from contseg.network import ContinualSegmenter
from contseg.network.embeddings import class_embedding
from contseg.training import masked_bce_dice_loss
from contseg.training.distillation import local_pod_embedding, plop_weight
from contseg.training.objective import StepObjective


def _models() -> tuple[ContinualSegmenter, ContinualSegmenter]:
    """(old model with liver + spleen, new model = a copy of it plus liver tumour, slightly moved), in eval mode.

    64^3 is the smallest input: 32^3 leaves a 1^3 bottleneck, where SwinUNETR's instance norms refuse to run."""
    torch.manual_seed(0)
    old = ContinualSegmenter(feature_size=12)
    for name in ("liver", "spleen"):
        old.add_class(name, *class_embedding(name, "one-hot"))
    new = copy.deepcopy(old)
    new.add_class("liver tumour", *class_embedding("liver tumour", "one-hot"))
    torch.manual_seed(1)
    for p in new.parameters():  # the new model has drifted from the old one, as during a step
        p.data.add_(0.01 * torch.randn_like(p))
    return old.eval(), new.eval()


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(2)
    image = torch.rand(1, 1, 64, 64, 64, generator=g)
    target = torch.full((1, 3, 64, 64, 64), -1, dtype=torch.int8)  # lwf / ilt: old classes are not in the targets
    target[:, 2] = (torch.rand(1, 64, 64, 64, generator=g) > 0.7).to(torch.int8)
    return image, target


def _encoder_pyramid(model: ContinualSegmenter, image: torch.Tensor) -> list[torch.Tensor]:
    s = model.swin
    hidden = s.swinViT(image, s.normalize)
    return [s.encoder2(hidden[0]), s.encoder3(hidden[1]), s.encoder4(hidden[2]), s.encoder10(hidden[4])]


@pytest.fixture(scope="module")
def run() -> dict[str, object]:
    """Each strategy's objective on one batch, and the references computed directly from the modules (no grad)."""
    old, new = _models()
    image, target = _batch()
    plop_target = target.clone()
    plop_target[:, :2] = 0  # plop: old classes carry pseudo labels in the targets
    out: dict[str, object] = {"target": target, "plop_target": plop_target}
    out["lwf"] = StepObjective("lwf", new, old)(new, image, target, autocast=False)
    out["ilt"] = StepObjective("ilt", new, old)(new, image, target, autocast=False)
    plop = StepObjective("plop", new, old)
    out["plop"], out["pod_weight"] = plop(new, image, plop_target, autocast=False), plop.pod_weight
    with torch.no_grad():
        out["new_logits"], out["old_logits"] = new(image), old(image)
        out["new_pyramid"], out["old_pyramid"] = _encoder_pyramid(new, image), _encoder_pyramid(old, image)
    return out


def test_lwf_loss_is_new_class_loss_plus_old_class_loss_against_the_old_models_hard_predictions(run: dict) -> None:
    logits, loss = run["lwf"]
    x, target = run["new_logits"], run["target"]
    old_hard = (torch.sigmoid(run["old_logits"]) > 0.5).to(torch.int8)
    expected = masked_bce_dice_loss(x[:, 2:], target[:, 2:]) + masked_bce_dice_loss(x[:, :2], old_hard)
    assert logits.shape == (1, 3, 64, 64, 64) and torch.allclose(logits, x, atol=1e-5)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)


def test_ilt_loss_adds_bottleneck_mse_and_bce_against_the_old_sigmoid_to_lwf(run: dict) -> None:
    # the bottleneck is the deepest encoder output, encoder10(hidden_states[4]): the pyramid's last map
    mse = ((run["new_pyramid"][-1] - run["old_pyramid"][-1]) ** 2).mean()
    p, x = torch.sigmoid(run["old_logits"]), run["new_logits"][:, :2]
    bce = -(p * F.logsigmoid(x) + (1 - p) * F.logsigmoid(-x)).mean()
    assert mse.item() > 0 and bce.item() > 0
    assert run["ilt"][1].item() == pytest.approx(run["lwf"][1].item() + mse.item() + bce.item(), rel=1e-5)


def test_plop_loss_is_the_target_loss_plus_weighted_local_pod_of_the_encoder_pyramid(run: dict) -> None:
    pod = torch.stack(
        [
            torch.linalg.vector_norm(local_pod_embedding(n) - local_pod_embedding(o), dim=1).mean()
            for n, o in zip(run["new_pyramid"], run["old_pyramid"])
        ]
    ).mean()
    expected = masked_bce_dice_loss(run["new_logits"], run["plop_target"]) + plop_weight(3, 1) * pod
    assert run["pod_weight"] == pytest.approx(0.0005 * 3**0.5)
    assert pod.item() > 0 and run["plop"][1].item() == pytest.approx(expected.item(), rel=1e-5)


def test_the_old_model_is_frozen_in_eval_mode_and_unchanged_by_a_training_update() -> None:
    old, new = _models()
    old.train()  # whatever mode it came in, the objective puts it in eval mode
    before = {k: v.clone() for k, v in old.state_dict().items()}
    new_before = {k: v.clone() for k, v in new.state_dict().items()}
    image, target = _batch()
    objective = StepObjective("ilt", new, old)  # ilt reads the old model's logits and features
    assert not old.training and not any(p.requires_grad for p in old.parameters())
    optimizer = torch.optim.AdamW(new.parameters(), lr=1e-3)
    _, loss = objective(new, image, target, autocast=False)
    loss.backward()
    optimizer.step()
    assert all(p.grad is None for p in old.parameters())
    assert all(torch.equal(v, before[k]) for k, v in old.state_dict().items())
    assert any(not torch.equal(v, new_before[k]) for k, v in new.state_dict().items())


def test_distilling_strategies_refuse_to_run_without_an_old_model_or_with_a_different_class_order() -> None:
    old, new = _models()
    with pytest.raises(ValueError, match="needs the previous step's model"):
        StepObjective("ilt", new, None)
    other = ContinualSegmenter(feature_size=12)
    other.add_class("spleen", *class_embedding("spleen", "one-hot"))
    with pytest.raises(ValueError, match="are not the old model's"):
        StepObjective("lwf", new, other)
