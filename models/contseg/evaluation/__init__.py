"""Evaluation: sliding-window inference, post-processing (largest component, tumour in organ), Dice and HD95 per
class, run results per continual step and the Dice-across-steps plot.

The paper's tables are in ``contseg.evaluation.report`` and the per-step evaluation of a sequence in
``contseg.evaluation.sequence`` (both command-line modules, so not imported here: ``python -m`` would warn).
"""

from .evaluate import evaluate_dataset
from .inference import THRESHOLD, hard_predictions, predict_probabilities
from .metrics import dice_per_class, hd95_per_class, hd95_per_class_many, mean_dice
from .plot import dice_across_steps_svg
from .postprocess import largest_component, postprocess
from .run_results import RunResult, StepResult, load_runs, run_from_json

__all__ = [
    "THRESHOLD",
    "RunResult",
    "StepResult",
    "dice_across_steps_svg",
    "dice_per_class",
    "evaluate_dataset",
    "hd95_per_class",
    "hd95_per_class_many",
    "hard_predictions",
    "largest_component",
    "load_runs",
    "mean_dice",
    "postprocess",
    "predict_probabilities",
    "run_from_json",
]
