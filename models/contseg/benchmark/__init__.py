"""Continual-learning benchmark (issue 8): every method on the BTCV-like and JHH-like sequences from a seed,
evaluated on held-out cases after each step, plus the measured compute per step of our design against a
decoder-per-step design. Entry point: ``python -m contseg.benchmark.continual``."""
