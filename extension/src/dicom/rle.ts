// DICOM RLE Lossless (PS3.5 Annex G) decoding of one single-sample frame. Pure.
import { DicomError } from './errors.ts';

/**
 * Decodes one RLE frame of `rows * columns` single-sample pixels of `bitsAllocated` (8 or 16) bits.
 * Returns the little-endian pixel bytes (2 bytes per pixel for 16 bits). Each RLE segment holds one byte plane,
 * most significant plane first.
 */
export function decodeRleFrame(
  encoded: Uint8Array,
  rows: number,
  columns: number,
  bitsAllocated: number,
): Uint8Array {
  const bytesPerPixel = bitsAllocated / 8;
  if (bytesPerPixel !== 1 && bytesPerPixel !== 2) {
    throw new DicomError('decode-failed', `RLE frames of ${bitsAllocated} bits allocated are not supported`);
  }
  if (encoded.byteLength < 64)
    throw new DicomError('decode-failed', 'RLE frame is shorter than its 64-byte header');
  const header = new DataView(encoded.buffer, encoded.byteOffset, 64);
  const segments = header.getUint32(0, true);
  if (segments !== bytesPerPixel) {
    throw new DicomError(
      'decode-failed',
      `RLE frame has ${segments} segments; ${bytesPerPixel} expected for one ${bitsAllocated}-bit sample`,
    );
  }
  const pixels = rows * columns;
  const out = new Uint8Array(pixels * bytesPerPixel);
  for (let seg = 0; seg < segments; seg++) {
    const start = header.getUint32(4 + 4 * seg, true);
    const end = seg + 1 < segments ? header.getUint32(8 + 4 * seg, true) : encoded.byteLength;
    // Segment 0 is the most significant byte: little-endian position bytesPerPixel-1.
    const plane = bytesPerPixel - 1 - seg;
    let pos = start;
    let written = 0;
    while (written < pixels && pos < end) {
      const n = ((encoded[pos++] as number) << 24) >> 24;
      if (n >= 0) {
        for (let c = 0; c <= n && written < pixels; c++)
          out[written++ * bytesPerPixel + plane] = encoded[pos++] as number;
      } else if (n !== -128) {
        const value = encoded[pos++] as number;
        for (let c = 0; c < 1 - n && written < pixels; c++) out[written++ * bytesPerPixel + plane] = value;
      }
    }
    if (written < pixels) {
      throw new DicomError('decode-failed', `RLE segment ${seg} ends after ${written} of ${pixels} pixels`);
    }
  }
  return out;
}
