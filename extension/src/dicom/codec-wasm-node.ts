// Node only (CLI, tests): reads the codecs' WebAssembly binaries from node_modules for FrameDecoder.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { CodecName, WasmBinaryLoader } from './frame-decode.ts';

/** Package specifier of each codec's .wasm. */
export const CODEC_WASM_SPECIFIERS: Record<CodecName, string> = {
  openjpeg: '@cornerstonejs/codec-openjpeg/decodewasm',
  openjph: '@cornerstonejs/codec-openjph/wasm',
  charls: '@cornerstonejs/codec-charls/decodewasm',
  'libjpeg-turbo': '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm',
};

/** Loads a codec's .wasm from the installed package. */
export const nodeCodecWasm: WasmBinaryLoader = async (codec) => {
  const require = createRequire(import.meta.url);
  return readFile(require.resolve(CODEC_WASM_SPECIFIERS[codec]));
};
