"""The loss of one training iteration for each strategy, with the frozen old model where the strategy needs it.

- pseudo-labels, fine-tune, joint: the masked BCE + Dice against the prepared targets (pseudo labels / -1 / all
  datasets' ground truth are already in the targets);
- lwf: new-class loss + the same loss on the old classes against the old model's hard predictions on this patch;
- ilt: lwf + MSE of the bottleneck features + BCE against the old model's sigmoid on the old classes;
- plop: the pseudo-label loss + weighted Local POD of the encoder features.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from ..network.segmenter import ContinualSegmenter
from .config import Strategy
from .distillation import ilt_feature_loss, ilt_soft_loss, local_pod_loss, lwf_old_class_loss, plop_weight
from .loss import masked_bce_dice_loss

OLD_MODEL_STRATEGIES: frozenset[str] = frozenset({"lwf", "ilt", "plop"})
# SwinUNETR's encoder pyramid (1/2, 1/4, 1/8 resolution) and the bottleneck (1/32): PLOP's intermediate features.
POD_LAYERS = ("swin.encoder2", "swin.encoder3", "swin.encoder4", "swin.encoder10")
# the deepest encoder output, encoder10(hidden_states[4]) [B, 16*fs, D/32, H/32, W/32]: ILT's distilled feature
BOTTLENECK_LAYER = "swin.encoder10"


@contextmanager
def feature_taps(model: nn.Module, layers: Sequence[str]) -> Iterator[list[torch.Tensor]]:
    """Record the outputs of the named submodules during forward passes inside the block, in ``layers`` order."""
    modules = dict(model.named_modules())
    missing = [name for name in layers if name not in modules]
    if missing:
        raise ValueError(f"model has no layers {missing}")
    outputs: dict[str, torch.Tensor] = {}
    handles = [
        modules[name].register_forward_hook(lambda _m, _i, out, name=name: outputs.__setitem__(name, out)) for name in layers
    ]
    recorded: list[torch.Tensor] = []
    try:
        yield recorded
    finally:
        for handle in handles:
            handle.remove()
    recorded += [outputs[name] for name in layers if name in outputs]


def _layers(strategy: Strategy) -> tuple[str, ...]:
    if strategy == "ilt":
        return (BOTTLENECK_LAYER,)
    if strategy == "plop":
        return POD_LAYERS
    return ()


class StepObjective:
    """Forward pass and loss of one iteration.

    Args:
        strategy: the step's strategy.
        model: the model being trained (the unwrapped module; ``net`` in ``__call__`` may be its DDP wrapper).
        previous: the previous step's model, or None; for lwf / ilt / plop it is frozen here (eval mode, no grad).
    """

    def __init__(self, strategy: Strategy, model: ContinualSegmenter, previous: ContinualSegmenter | None) -> None:
        self.strategy, self.model = strategy, model
        self.previous: ContinualSegmenter | None = None
        self.pod_weight = 0.0
        if strategy not in OLD_MODEL_STRATEGIES:
            return
        if previous is None:
            raise ValueError(f"strategy {strategy!r} needs the previous step's model")
        n_old = len(previous.class_names)
        if model.class_names[:n_old] != previous.class_names:
            raise ValueError(f"the model's first classes {model.class_names[:n_old]} are not the old model's {previous.class_names}")
        self.previous = previous.eval().requires_grad_(False)
        self.n_old = n_old
        if strategy == "plop":
            self.pod_weight = plop_weight(len(model.class_names), len(model.class_names) - n_old)

    def __call__(self, net: nn.Module, image: torch.Tensor, target: torch.Tensor, autocast: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """image [B, 1, D, H, W], target int8 [B, C, D, H, W] -> (logits [B, C, D, H, W], scalar loss)."""
        layers = _layers(self.strategy)
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=autocast):
            with feature_taps(self.model, layers) as new_features:
                logits = net(image)
            if self.previous is None:
                return logits, masked_bce_dice_loss(logits, target)
            with torch.no_grad(), feature_taps(self.previous, layers) as old_features:
                old_logits = self.previous(image)
        loss = masked_bce_dice_loss(logits, target)  # lwf / ilt: new classes only (old targets are -1); plop: all
        new_old = logits[:, : self.n_old]
        if self.strategy in ("lwf", "ilt"):
            loss = loss + lwf_old_class_loss(new_old, old_logits)
        if self.strategy == "ilt":
            loss = loss + ilt_feature_loss(new_features[0], old_features[0]) + ilt_soft_loss(new_old, old_logits)
        if self.strategy == "plop":
            loss = loss + self.pod_weight * local_pod_loss(new_features, old_features)
        return logits, loss
