"""Compute per step (contseg.benchmark.compute): FLOPs counted on meta tensors match the architecture's arithmetic,
our design's cost stays flat as classes are added while a decoder per step grows, and wall time is a real median."""

from __future__ import annotations

import time

import pytest
import torch

from contseg.benchmark.compute import DecoderPerStep, build_models, count_gflop, step_sizes, time_ms
from contseg.network.folding import FEATURE_DIM, GENERATOR_HIDDEN
from contseg.network.dynamic_head import HEAD_CHANNELS, HEAD_PARAM_COUNT
from contseg.network.embeddings import EMBED_DIM

META = torch.device("meta")
PATCH = (64, 64, 64)


def _gflop(classes: int, classes_per_step: int = 1) -> dict[str, float]:
    return {name: count_gflop(model, PATCH) for name, model in build_models(12, classes, classes_per_step, META).items()}


def test_each_added_class_costs_exactly_its_generator_and_its_three_layer_head_on_every_voxel() -> None:
    one, two, five = _gflop(1)["ours"], _gflop(2)["ours"], _gflop(5)["ours"]
    generator = 2 * ((FEATURE_DIM + EMBED_DIM) * GENERATOR_HIDDEN + GENERATOR_HIDDEN * HEAD_PARAM_COUNT)
    head = 2 * (HEAD_CHANNELS * HEAD_CHANNELS * 2 + HEAD_CHANNELS) * PATCH[0] * PATCH[1] * PATCH[2]
    assert two - one == pytest.approx((generator + head) / 1e9, rel=1e-6)
    assert five - one == pytest.approx(4 * (two - one), rel=1e-6)
    assert (two - one) / one < 0.01  # a class adds under 1% of the backbone's cost


def test_a_decoder_per_step_adds_a_whole_decoder_per_step_and_outgrows_our_design() -> None:
    one_step, three_steps = _gflop(4, 4), _gflop(12, 4)
    per_step = (three_steps["decoder-per-step"] - one_step["decoder-per-step"]) / 2
    assert per_step > 0.25 * one_step["decoder-per-step"]
    assert three_steps["decoder-per-step"] > 1.5 * three_steps["ours"]
    assert one_step["decoder-per-step"] == pytest.approx(one_step["ours"], rel=0.05)  # one step: the same network


def test_a_decoder_per_step_model_outputs_one_channel_per_class_of_every_step() -> None:
    with torch.device(META):
        swin = build_models(12, 1, 1, META)["ours"].swin  # type: ignore[union-attr]
    model = DecoderPerStep(swin, 12, [2, 1]).to(META)
    assert tuple(model(torch.empty(1, 1, *PATCH, device=META)).shape) == (1, 3, *PATCH)
    with pytest.raises(ValueError, match="at least one class"):
        DecoderPerStep(swin, 12, [2, 0])


def test_steps_take_classes_in_order_and_the_last_step_may_be_smaller() -> None:
    assert step_sizes(10, 4) == [4, 4, 2] and step_sizes(4, 4) == [4] and step_sizes(1, 4) == [1]


def test_flops_are_counted_only_on_meta_models_so_counting_never_runs_arithmetic() -> None:
    with pytest.raises(ValueError, match="meta device"):
        count_gflop(torch.nn.Conv3d(1, 1, 1), PATCH)


def test_wall_time_is_the_median_of_real_calls_after_a_warm_up() -> None:
    calls: list[float] = []

    def sleep() -> None:
        calls.append(time.perf_counter())
        time.sleep(0.02)

    ms = time_ms(sleep, torch.device("cpu"), repeats=3)
    assert len(calls) == 4 and 20.0 <= ms < 200.0
