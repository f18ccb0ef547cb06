// The DICOM codecs' WebAssembly binaries for the viewer's DICOMweb path (a series OHIF has not decoded itself). Each
// `new URL(<package file>, import.meta.url)` makes webpack emit the .wasm beside our bundle and put its URL here, so
// it is fetched from the viewer's own origin. Without binaries handed over, Emscripten's openjph module looks for
// openjphjs.wasm beside the page (its script URL is unknown inside a bundle) and gets the viewer's index.html.
import { DicomError } from '../../dicom/errors.ts';
import type { CodecName, WasmBinaryLoader } from '../../dicom/frame-decode.ts';

/** Where the bundle serves each codec's binary (literal specifiers: webpack resolves them at build time). */
const CODEC_WASM_URLS: Record<CodecName, URL> = {
  openjpeg: new URL('@cornerstonejs/codec-openjpeg/decodewasm', import.meta.url),
  openjph: new URL('@cornerstonejs/codec-openjph/wasm', import.meta.url),
  charls: new URL('@cornerstonejs/codec-charls/decodewasm', import.meta.url),
  'libjpeg-turbo': new URL('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasm', import.meta.url),
};

/** Fetches a codec's binary from the bundle's folder; a failed fetch names the codec, the URL and the status. */
export const bundledCodecWasm: WasmBinaryLoader = async (codec) => {
  const url = CODEC_WASM_URLS[codec];
  const response = await fetch(url);
  if (!response.ok) {
    throw new DicomError(
      'decode-failed',
      `cannot load the ${codec} codec from ${url}: HTTP ${response.status}`,
    );
  }
  return response.arrayBuffer();
};
