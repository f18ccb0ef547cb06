"""Evaluation: sliding-window inference, post-processing (largest component, tumour in organ), Dice per class."""

from .evaluate import evaluate_dataset
from .inference import THRESHOLD, hard_predictions, predict_probabilities
from .metrics import dice_per_class, mean_dice
from .postprocess import largest_component, postprocess

__all__ = [
    "THRESHOLD",
    "dice_per_class",
    "evaluate_dataset",
    "hard_predictions",
    "largest_component",
    "mean_dice",
    "postprocess",
    "predict_probabilities",
]
