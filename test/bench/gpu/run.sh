#!/usr/bin/env bash
# The engine's WebGPU path on a real GPU next to PyTorch CUDA: writes <out>/benchmarks-gpu.{md,json}.
# Usage (repository root, after `npm ci`): bash test/bench/gpu/run.sh [--full] [--out DIR]   (default DIR: docs)
# Needs: Node >= 20; a GPU with a Vulkan driver (NVIDIA: the loader libvulkan.so.1 and the driver's ICD);
# a Python with torch (CUDA) and monai, default models/.venv/bin/python, else set CONTSEG_BENCH_PYTHON.
# Loader packages unpacked from .gl/*.deb when the system has none (see test/bench/gpu/README.md).
set -euo pipefail
cd "$(dirname "$0")/../../.."

if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  if compgen -G '.gl/*.deb' >/dev/null; then
    for deb in .gl/*.deb; do dpkg -x "$deb" /; done
    ldconfig
  else
    echo "run.sh: no Vulkan loader (libvulkan.so.1): install libvulkan1 or put its .deb files in .gl/" >&2
    exit 1
  fi
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
  /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ] && [ -z "${VK_DRIVER_FILES:-}" ]; then export VK_DRIVER_FILES="$icd"; fi
done
if [ -z "${CONTSEG_BENCH_PYTHON:-}" ] && [ ! -x models/.venv/bin/python ]; then
  export CONTSEG_BENCH_PYTHON=python3
fi

# The engine case runner with ORT's WebGPU build (see bundle.sh).
bundle=.cache/bench/gpu/engine-case.mjs
bash test/bench/gpu/bundle.sh test/bench/engine-case.ts "$bundle"

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
node --import tsx test/bench/run.ts --gpu --webgpu-bundle "$bundle" "$@"
