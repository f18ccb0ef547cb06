// OpenJPH's HTJ2K encoder, shared by the Node codec tests and the bundled codec page (no Node import: webpack
// bundles this file into a browser page).
import openjph from '@cornerstonejs/codec-openjph';
import type { PixelFormat } from '../../../extension/src/dicom/frame-decode.ts';

interface HtEncoder {
  getDecodedBuffer(info: Record<string, unknown>): Uint8Array;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  delete(): void;
}

/**
 * A frame encoded lossless by OpenJPH's HTJ2KEncoder (the encoder PACS and cornerstone use for HTJ2K); `wasmBinary`
 * where the codec cannot locate its own .wasm (inside a bundle).
 */
export async function encodeHtj2k(
  pixels: Uint8Array,
  format: PixelFormat,
  wasmBinary?: ArrayBuffer | Uint8Array,
): Promise<Uint8Array> {
  const silent = { print: () => undefined, printErr: () => undefined };
  const codec = (await openjph(wasmBinary ? { ...silent, wasmBinary } : silent)) as unknown as {
    HTJ2KEncoder: new () => HtEncoder;
  };
  const encoder = new codec.HTJ2KEncoder();
  try {
    encoder
      .getDecodedBuffer({
        width: format.columns,
        height: format.rows,
        bitsPerSample: format.bitsStored,
        componentCount: 1,
        isSigned: format.pixelRepresentation === 1,
        isUsingColorTransform: false,
      })
      .set(pixels);
    encoder.encode();
    return encoder.getEncodedBuffer().slice();
  } finally {
    encoder.delete();
  }
}
