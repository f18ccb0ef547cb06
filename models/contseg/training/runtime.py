"""Process set-up for training and inference: allocator settings, CPU threads, torch.distributed (torchrun)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist

# glibc returns every large tensor buffer to the kernel and page-faults it back on the next allocation; on small
# shared CPU machines that made CPU training several times slower. Keeping freed memory in the heap avoids it.
_MALLOC_ENV = {
    "MALLOC_MMAP_THRESHOLD_": str(16 * 2**30),
    "MALLOC_TRIM_THRESHOLD_": str(16 * 2**30),
    "MALLOC_TOP_PAD_": str(2**30),
}


def ensure_fast_allocator() -> None:
    """Re-execute this Python process once with the glibc allocator settings above (no-op when already set, off Linux,
    or when CONTSEG_KEEP_MALLOC=1). Must be called before any heavy work; the PID stays the same (torchrun-safe)."""
    if sys.platform != "linux" or os.environ.get("CONTSEG_KEEP_MALLOC") == "1":
        return
    if all(os.environ.get(k) == v for k, v in _MALLOC_ENV.items()):
        return
    env = {**os.environ, **_MALLOC_ENV}
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


@dataclass(frozen=True)
class DistributedContext:
    """This process's place in a torchrun job (rank 0 of 1 without torchrun)."""

    rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0 writes logs and checkpoints."""
        return self.rank == 0


def init_distributed(threads: int = 0) -> DistributedContext:
    """Join the torchrun process group when WORLD_SIZE > 1 (NCCL on CUDA, Gloo on CPU); pick the device."""
    if threads > 0:
        torch.set_num_threads(threads)
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    else:
        device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return DistributedContext(rank=rank, world_size=world, device=device)


def barrier(ctx: DistributedContext) -> None:
    """Wait for all ranks (no-op in a single process)."""
    if ctx.world_size > 1:
        dist.barrier()
