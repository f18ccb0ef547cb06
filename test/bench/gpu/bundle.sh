#!/usr/bin/env bash
# Bundles a bench script for Node with esbuild: bash test/bench/gpu/bundle.sh ENTRY.ts OUT.mjs (repository root).
# onnxruntime-web resolves to ORT's JS WebGPU build (JSEP, `ort.all`): Node's default entry has no WebGPU EP.
# `webgpu` (Dawn's native addon) stays external; a banner gives the ES module a `require` for bundled CommonJS.
set -euo pipefail
mkdir -p "$(dirname "$2")"
node_modules/.bin/esbuild "$1" --bundle --platform=node --format=esm \
  --alias:onnxruntime-web=./node_modules/onnxruntime-web/dist/ort.all.bundle.min.mjs --external:webgpu \
  --banner:js="import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" \
  --log-level=warning --outfile="$2"
