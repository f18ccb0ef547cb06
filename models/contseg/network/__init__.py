"""Network: SwinUNETR backbone + global feature + head input (ContinualSegmenter), class heads, folding, checkpoints."""

from .checkpoint import CHECKPOINT_FORMAT, build_from_metadata, load_checkpoint, save_checkpoint
from .class_heads import ClassGenerator, ClassHeads
from .dynamic_head import HEAD_CHANNELS, HEAD_PARAM_COUNT, HEAD_PARAM_SIZES, HeadParams, apply_dynamic_heads, split_head_params
from .embeddings import EMBED_DIM, catalogue_class, class_embedding, clip_embedding, load_catalogue, one_hot_embedding
from .folding import FEATURE_DIM, GENERATOR_HIDDEN, FoldedGenerator, FoldedHeads, fold_embedding, folded_generator_params, stack_folded
from .segmenter import ContinualSegmenter, GlobalImageFeature, HeadInputProjection
from .universal_heads import UniversalHeads

__all__ = [
    "CHECKPOINT_FORMAT",
    "EMBED_DIM",
    "FEATURE_DIM",
    "GENERATOR_HIDDEN",
    "HEAD_CHANNELS",
    "HEAD_PARAM_COUNT",
    "HEAD_PARAM_SIZES",
    "ClassGenerator",
    "ClassHeads",
    "ContinualSegmenter",
    "FoldedGenerator",
    "FoldedHeads",
    "GlobalImageFeature",
    "HeadInputProjection",
    "HeadParams",
    "UniversalHeads",
    "apply_dynamic_heads",
    "build_from_metadata",
    "catalogue_class",
    "class_embedding",
    "clip_embedding",
    "fold_embedding",
    "folded_generator_params",
    "load_catalogue",
    "load_checkpoint",
    "one_hot_embedding",
    "save_checkpoint",
    "split_head_params",
    "stack_folded",
]
