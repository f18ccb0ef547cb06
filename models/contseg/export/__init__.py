"""ONNX export for onnxruntime-web (WebGPU and WASM): backbone and heads graphs, class files, manifest, registry."""
