#!/usr/bin/env bash
# One call on a lent GPU machine (repository root, .gpu-kit/ from kit.sh carried, results to $OUT; see README.md):
#   A: the WebGPU bench next to PyTorch CUDA on the full-tier timing model, while the training workers are stopped;
#   B: the continual full tier (models/configs/continual/full.yaml): the runs missing from the committed document,
#      SPLIT workers per seed and sequence, until B_END;
#   C: its results document, with the compute per step measured on the GPU.
# Deadlines in seconds from the start (A_END, B_END, C_END; the defaults fit a 600 s call); ROUNDS: bench rounds;
# CONV2D, FP16: see below. BENCH= (empty) skips A: a second call on the still warm machine only trains and reports,
# e.g. BENCH= B_END=150 C_END=220 for the few minutes a session has left after the first call.
set -u
T0=$(date +%s)
el() { echo $(($(date +%s) - T0)); }
say() { echo "[on-device.sh $(el)s] $*"; }
left() { local s=$(($1 - $(el))); [ $s -lt 15 ] && s=15; echo $s; } # seconds to a deadline, at least 15
A_END=${A_END:-420} B_END=${B_END:-500} C_END=${C_END:-570} ROUNDS=${ROUNDS:-1} BENCH=${BENCH-1}
# CONV2D=--depth-stacked-convs benches the WebGPU-only graph (stride-1 Conv3d as Conv2d); empty: the default graph.
CONV2D=${CONV2D-"--depth-stacked-convs"}
# FP16=--fp16 also benches the fp16 backbone (PyTorch's reference: its backbone under fp16 autocast); empty: fp32 only.
FP16=${FP16-"--fp16"}
# CASES: run.ts options of the bench; by default 1 class only (the class cost on WebGPU was measured on 2026-11-27)
# with each case's WebGPU kernels profiled in one more run.
CASES=${CASES-"--classes 1 --profile"}
K=.gpu-kit PY=${PY:-python3}
exec > >(tee -a "$OUT/on-device.log") 2>&1
say "setup"
$PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site $K/whl/*.whl || say "pip failed"
export PYTHONPATH=/tmp/site PYTHONUNBUFFERED=1 CONTSEG_BENCH_PYTHON=$PY CONTSEG_BENCH_COMMIT=${COMMIT:-unknown}
$PY - <<'PY'
import lzma, os, shutil, tarfile
shutil.copyfileobj(lzma.open('.gpu-kit/node.xz'), open('/tmp/node', 'wb'))
os.chmod('/tmp/node', 0o755)
for f in ('run.mjs', 'engine-case.mjs'):
    shutil.copyfileobj(lzma.open(f'.gpu-kit/bench/{f}.xz'), open(f'.gpu-kit/bench/{f}', 'wb'))
for t in ('node_modules', 'volumes'):
    tarfile.open(f'.gpu-kit/{t}.tar.xz').extractall('.', filter='tar')
os.makedirs('../shared/data', exist_ok=True)
tarfile.open('.gpu-kit/shared.tar.xz').extractall('../shared/data', filter='tar')
PY
if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  for f in $K/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ] && [ -z "${VK_DRIVER_FILES:-}" ]; then export VK_DRIVER_FILES=$icd; fi
done
say "VK_DRIVER_FILES=${VK_DRIVER_FILES:-none}; node $(/tmp/node --version); $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1)"

say "B: continual full tier workers start"
mkdir -p /tmp/cont /tmp/cres
# The runs an earlier call finished on this GPU kind are restored; the missing ones are dealt to SPLIT workers per
# (seed, sequence), JOBS at a time, each worker's torch and OpenMP/BLAS pools capped at THREADS.
SPLIT=${SPLIT:-3} JOBS=${JOBS:-18} THREADS=${THREADS:-1}
export OMP_NUM_THREADS=$THREADS MKL_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
(cd models && exec $PY -m contseg.benchmark.continual --config configs/continual/full.yaml --train-only \
  --runs-from ../$K/continual-full.json --missing-only --jobs "$JOBS" --split "$SPLIT" >/tmp/cont/benchmark.log 2>&1) &
workers() { pgrep -f 'contseg[.]benchmark[.]continual' || true; }

if [ -n "$BENCH" ]; then
  say "A: full-tier timing model (export, parity check)"
  timeout "$(left $((A_END - 200)))" /tmp/node $K/bench/run.mjs --prepare --model full-tier-timing $CONV2D $FP16 || say "prepare failed"
  say "A: bench (training workers stopped)"
  pkill -STOP -f 'contseg[.]benchmark[.]continual'
  timeout "$(left $A_END)" /tmp/node $K/bench/run.mjs --gpu --webgpu-bundle $K/bench/engine-case.mjs \
    --model full-tier-timing --rounds "$ROUNDS" $CONV2D $FP16 $CASES --out "$OUT" || say "bench failed"
  pkill -CONT -f 'contseg[.]benchmark[.]continual'
fi
say "B: training until ${B_END}s"
while [ -n "$(workers)" ] && [ "$(el)" -lt "$B_END" ]; do sleep 5; done
say "B: $(ls models/.work/continual/full/runs 2>/dev/null | wc -l) run results; stopping $(workers | wc -l) workers"
pkill -TERM -f 'contseg[.]benchmark[.]continual'
sleep 3
pkill -KILL -f 'contseg[.]benchmark[.]continual'
say "C: results document, compute on the GPU"
(cd models && timeout "$(left $C_END)" $PY -m contseg.benchmark.continual --config configs/continual/full.yaml \
  --report-only --results /tmp/cres/continual-full) || say "report failed"
tar -czf "$OUT/continual-full.tgz" models/.work/continual/full/runs models/.work/continual/full/benchmark.log \
  models/.work/continual/full/compute.json /tmp/cont /tmp/cres 2>/dev/null
say "done"
