"""Evaluation: sliding-window inference, post-processing (largest component, tumour in organ), Dice and HD95 per
class, run results per continual step, the paper's tables and the Dice-across-steps plot."""

from .evaluate import evaluate_dataset
from .inference import THRESHOLD, hard_predictions, predict_probabilities
from .metrics import dice_per_class, mean_dice
from .plot import dice_across_steps_svg
from .postprocess import largest_component, postprocess
from .report import paper_tables, summarise, tables_markdown
from .run_results import RunResult, StepResult, load_runs, run_from_json

__all__ = [
    "THRESHOLD",
    "RunResult",
    "StepResult",
    "dice_across_steps_svg",
    "dice_per_class",
    "evaluate_dataset",
    "hard_predictions",
    "largest_component",
    "load_runs",
    "mean_dice",
    "paper_tables",
    "postprocess",
    "predict_probabilities",
    "run_from_json",
    "summarise",
    "tables_markdown",
]
