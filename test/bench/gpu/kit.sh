#!/usr/bin/env bash
# Builds .gpu-kit/ (git-ignored through .git/info/exclude): what a lent GPU machine without Node, monai or a Vulkan
# loader, taking at most 64 MiB per call, needs for on-device.sh (see README.md). Needs the repository after npm ci,
# the benchmark volumes in .cache/bench (one `npm run bench`), network for apt and pip. Usage: bash test/bench/gpu/kit.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
K=.gpu-kit
rm -rf $K && mkdir -p $K/bench $K/whl $K/gl
# Node (same binary as here), stripped
cp "$(command -v node)" /tmp/node-strip && strip /tmp/node-strip && xz -T2 -9 -c /tmp/node-strip > $K/node.xz
# the bench orchestrator and the engine case, bundled (bundle.sh; prettier and ORT's JSEP build inside)
bash test/bench/gpu/bundle.sh test/bench/run.ts $K/bench/run.mjs
bash test/bench/gpu/bundle.sh test/bench/engine-case.ts $K/bench/engine-case.mjs
xz -T2 -9 $K/bench/run.mjs $K/bench/engine-case.mjs
cp test/bench/gpu/on-device.sh $K/
tar -cJf $K/node_modules.tar.xz node_modules/onnxruntime-web/package.json \
  node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.jsep.wasm \
  node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/dist/linux-x64
# the benchmark phantom (3 mm: the quick plan's only volume), under the cache name run.ts computes
V=.cache/bench/volumes-$(sha256sum test/bench/make_volumes.py | cut -c1-16)
tar -cJf $K/volumes.tar.xz $V/volumes.json $V/phantom-3mm
# the continual full tier's runs so far (on-device.sh restores those of its GPU kind and trains the rest)
python3 -c 'import json, sys; d = json.load(open("docs/continual-results.json"))
json.dump({**d, "entries": [e for e in d["entries"] if e["tier"] == "full"]}, sys.stdout)' > $K/continual-full.json
# the shared data the continual tier reads
tar -cJf $K/shared.tar.xz -C "${CONTSEG_SHARED_DATA:-../shared/data}" ct dicom embeddings README.md
# Vulkan loader and GL vendor libraries (device README)
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64'
(cd $K/gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
# Python packages missing there (py3.12)
P='--platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64'
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp $P -d $K/whl \
  monai==1.6.1 nibabel==5.4.2 pydicom==3.0.2 jsonschema==4.26.0 jsonschema-specifications==2025.9.1 \
  referencing==0.37.0 rpds-py==2026.9.1 einops==0.8.2
du -sh $K/* ; du -sh $K
