"""Training: loss, schedule, step/release configs, pseudo labels (Eq. 3), the baselines' objectives (LwF, ILT, PLOP,
joint), the step trainer and the release runner."""

from .config import ModelConfig, PreprocessConfig, ReleaseConfig, StepConfig, TrainConfig, load_release_config, load_step_config
from .loss import masked_bce_dice_loss
from .objective import StepObjective
from .pseudo_labels import compose_step_target, pseudo_labels
from .schedule import warmup_cosine
from .step import run_step

__all__ = [
    "ModelConfig",
    "PreprocessConfig",
    "ReleaseConfig",
    "StepConfig",
    "StepObjective",
    "TrainConfig",
    "compose_step_target",
    "load_release_config",
    "load_step_config",
    "masked_bce_dice_loss",
    "pseudo_labels",
    "run_step",
    "warmup_cosine",
]
