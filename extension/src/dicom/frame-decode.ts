// Decodes one frame of single-sample pixel data, in any transfer syntax a CT series is commonly stored in, to its
// stored values (before rescale). Codecs are the maintained cornerstone WebAssembly/JS builds, loaded on first use
// (HTJ2K by OpenJPH). JPEG extended 12-bit has no maintained decoder: such frames are refused with a clear message.
import { DicomError } from './errors.ts';
import { decodeRleFrame } from './rle.ts';

export const TRANSFER_SYNTAX = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  deflatedExplicitLittle: '1.2.840.10008.1.2.1.99',
  explicitBig: '1.2.840.10008.1.2.2',
  rle: '1.2.840.10008.1.2.5',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless: '1.2.840.10008.1.2.4.57',
  jpegLosslessSV1: '1.2.840.10008.1.2.4.70',
  jpegLsLossless: '1.2.840.10008.1.2.4.80',
  jpegLsNearLossless: '1.2.840.10008.1.2.4.81',
  jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  jpeg2000: '1.2.840.10008.1.2.4.91',
  htj2kLossless: '1.2.840.10008.1.2.4.201',
  htj2kLosslessRpcl: '1.2.840.10008.1.2.4.202',
  htj2k: '1.2.840.10008.1.2.4.203',
} as const;

const HTJ2K: readonly string[] = [
  TRANSFER_SYNTAX.htj2kLossless,
  TRANSFER_SYNTAX.htj2kLosslessRpcl,
  TRANSFER_SYNTAX.htj2k,
];

const NATIVE_LITTLE: readonly string[] = [
  TRANSFER_SYNTAX.implicitLittle,
  TRANSFER_SYNTAX.explicitLittle,
  TRANSFER_SYNTAX.deflatedExplicitLittle,
];

/** Transfer syntaxes `decodeFrame` handles. */
export const SUPPORTED_TRANSFER_SYNTAXES: readonly string[] = Object.values(TRANSFER_SYNTAX).filter(
  (ts) => ts !== TRANSFER_SYNTAX.jpegExtended,
);

export interface PixelFormat {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
}

export type CodecName = 'openjpeg' | 'openjph' | 'charls' | 'libjpeg-turbo';

/**
 * Supplies a codec's WebAssembly binary. Without a loader the codecs' pure-JavaScript builds are used: they run
 * anywhere with no asset to serve, about 4x slower. In Node, `nodeCodecWasm` (codec-wasm-node.ts) reads the binaries.
 */
export type WasmBinaryLoader = (codec: CodecName) => Promise<ArrayBuffer | Uint8Array>;

/** File names of the codecs' WebAssembly binaries in their packages' dist/ folders. */
export const CODEC_WASM_FILES: Record<CodecName, string> = {
  openjpeg: 'openjpegwasm_decode.wasm',
  openjph: 'openjphjs.wasm',
  charls: 'charlswasm_decode.wasm',
  'libjpeg-turbo': 'libjpegturbowasm_decode.wasm',
};

/** Browser loader: fetches `CODEC_WASM_FILES` from a folder URL where the deployment serves them. */
export function wasmFromUrl(folderUrl: string | URL): WasmBinaryLoader {
  return async (codec) => {
    const url = new URL(CODEC_WASM_FILES[codec], folderUrl.toString().replace(/\/?$/, '/'));
    const response = await fetch(url);
    if (!response.ok)
      throw new DicomError(
        'decode-failed',
        `cannot load the ${codec} codec from ${url}: HTTP ${response.status}`,
      );
    return response.arrayBuffer();
  };
}

type CodecClasses = { [name: string]: new () => CodecDecoder };

async function importFactory(
  codec: CodecName,
  wasm: boolean,
): Promise<EmscriptenDecoderModule<CodecDecoder>> {
  switch (codec) {
    case 'openjpeg':
      return wasm
        ? (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default
        : (await import('@cornerstonejs/codec-openjpeg/decode')).default;
    case 'openjph':
      // WebAssembly only: without a loader the module reads openjphjs.wasm beside itself (Node) or by URL.
      return (await import('@cornerstonejs/codec-openjph')).default;
    case 'charls':
      return wasm
        ? (await import('@cornerstonejs/codec-charls/decodewasmjs')).default
        : (await import('@cornerstonejs/codec-charls/decode')).default;
    case 'libjpeg-turbo':
      return wasm
        ? (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default
        : (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decode')).default;
  }
}

const CLASS_NAME: Record<CodecName, string> = {
  openjpeg: 'J2KDecoder',
  openjph: 'HTJ2KDecoder',
  charls: 'JpegLSDecoder',
  'libjpeg-turbo': 'JPEGDecoder',
};

/** Decodes frames; holds the codec modules it has loaded so each loads once. */
export class FrameDecoder {
  private readonly codecs = new Map<CodecName, Promise<CodecClasses>>();

  constructor(private readonly wasmLoader?: WasmBinaryLoader) {}

  private codec(name: CodecName): Promise<CodecClasses> {
    let loaded = this.codecs.get(name);
    if (!loaded) {
      const silent = { print: () => undefined, printErr: () => undefined };
      const loader = this.wasmLoader;
      loaded = loader
        ? Promise.all([importFactory(name, true), loader(name)]).then(([factory, wasmBinary]) =>
            factory({ ...silent, wasmBinary }),
          )
        : importFactory(name, false).then((factory) => factory(silent));
      this.codecs.set(name, loaded);
    }
    return loaded;
  }

  private async runCodec(
    name: CodecName,
    encoded: Uint8Array,
  ): Promise<{ bytes: Uint8Array; info: CodecFrameInfo }> {
    const Decoder = (await this.codec(name))[CLASS_NAME[name]];
    if (!Decoder)
      throw new DicomError('decode-failed', `the ${name} codec module has no ${CLASS_NAME[name]}`);
    const decoder = new Decoder();
    try {
      decoder.getEncodedBuffer(encoded.byteLength).set(encoded);
      decoder.decode();
      // The decoded buffer is a view into the codec's heap: copy it out before the decoder is deleted.
      return { bytes: decoder.getDecodedBuffer().slice(), info: decoder.getFrameInfo() };
    } finally {
      decoder.delete();
    }
  }

  /**
   * Decodes one frame to its stored values (sign-extended from BitsStored when PixelRepresentation is 1), one
   * Int32 per pixel, row by row. Throws DicomError('unsupported-transfer-syntax' | 'decode-failed').
   */
  async decode(encoded: Uint8Array, transferSyntaxUID: string, format: PixelFormat): Promise<Int32Array> {
    const { rows, columns, bitsAllocated } = format;
    if (bitsAllocated !== 8 && bitsAllocated !== 16) {
      throw new DicomError(
        'decode-failed',
        `pixel data with ${bitsAllocated} bits allocated is not supported`,
      );
    }
    const bytesPerPixel = bitsAllocated / 8;
    let bytes: Uint8Array;
    let bigEndian = false;
    try {
      if (NATIVE_LITTLE.includes(transferSyntaxUID) || transferSyntaxUID === TRANSFER_SYNTAX.explicitBig) {
        bigEndian = transferSyntaxUID === TRANSFER_SYNTAX.explicitBig;
        bytes = encoded;
      } else if (transferSyntaxUID === TRANSFER_SYNTAX.rle) {
        bytes = decodeRleFrame(encoded, rows, columns, bitsAllocated);
      } else if (
        transferSyntaxUID === TRANSFER_SYNTAX.jpegLossless ||
        transferSyntaxUID === TRANSFER_SYNTAX.jpegLosslessSV1
      ) {
        const { Decoder } = await import('jpeg-lossless-decoder-js');
        const out = new Decoder().decode(
          encoded.buffer,
          encoded.byteOffset,
          encoded.byteLength,
          bytesPerPixel,
        );
        bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      } else if (transferSyntaxUID === TRANSFER_SYNTAX.jpegBaseline) {
        bytes = (await this.runCodec('libjpeg-turbo', encoded)).bytes;
      } else if (
        transferSyntaxUID === TRANSFER_SYNTAX.jpegLsLossless ||
        transferSyntaxUID === TRANSFER_SYNTAX.jpegLsNearLossless
      ) {
        bytes = (await this.runCodec('charls', encoded)).bytes;
      } else if (
        transferSyntaxUID === TRANSFER_SYNTAX.jpeg2000Lossless ||
        transferSyntaxUID === TRANSFER_SYNTAX.jpeg2000 ||
        HTJ2K.includes(transferSyntaxUID)
      ) {
        const htj2k = HTJ2K.includes(transferSyntaxUID);
        const { bytes: decoded, info } = await this.runCodec(htj2k ? 'openjph' : 'openjpeg', encoded);
        if (info.width !== columns || info.height !== rows) {
          throw new Error(
            `the ${htj2k ? 'HTJ2K' : 'JPEG 2000'} frame is ${info.width}x${info.height}, the header says ${columns}x${rows}`,
          );
        }
        bytes = decoded;
      } else if (transferSyntaxUID === TRANSFER_SYNTAX.jpegExtended) {
        throw new DicomError(
          'unsupported-transfer-syntax',
          `JPEG extended (12-bit, ${transferSyntaxUID}) frames cannot be decoded: no maintained 12-bit JPEG codec ` +
            `is available to this viewer; have the PACS send the series in another transfer syntax (e.g. ` +
            `uncompressed or JPEG 2000), or store it losslessly`,
        );
      } else {
        throw new DicomError(
          'unsupported-transfer-syntax',
          `transfer syntax ${transferSyntaxUID} is not supported; supported: ${SUPPORTED_TRANSFER_SYNTAXES.join(', ')}`,
        );
      }
    } catch (err) {
      if (err instanceof DicomError) throw err;
      throw new DicomError(
        'decode-failed',
        `cannot decode a ${transferSyntaxUID} frame: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return storedValues(bytes, bigEndian, format);
  }
}

/** Interprets decoded pixel bytes as stored values: masks to BitsStored and sign-extends when signed. */
function storedValues(bytes: Uint8Array, bigEndian: boolean, format: PixelFormat): Int32Array {
  const { rows, columns, bitsAllocated, bitsStored, pixelRepresentation } = format;
  const pixels = rows * columns;
  const bytesPerPixel = bitsAllocated / 8;
  if (bytes.byteLength < pixels * bytesPerPixel) {
    throw new DicomError(
      'decode-failed',
      `a ${columns}x${rows} frame of ${bitsAllocated}-bit pixels needs ${pixels * bytesPerPixel} bytes; got ${bytes.byteLength}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, pixels * bytesPerPixel);
  const out = new Int32Array(pixels);
  const shift = 32 - bitsStored;
  const mask = bitsStored >= 32 ? -1 : (1 << bitsStored) - 1;
  for (let n = 0; n < pixels; n++) {
    const raw = bytesPerPixel === 2 ? view.getUint16(2 * n, !bigEndian) : view.getUint8(n);
    out[n] = pixelRepresentation === 1 ? (raw << shift) >> shift : raw & mask;
  }
  return out;
}

/**
 * Recognises a frame's encoding from its bytes, for servers that do not declare the transfer syntax of a frame:
 * HTJ2K or JPEG 2000 codestream, JP2 box, JPEG by its SOF marker (baseline, extended, lossless, JPEG-LS), DICOM RLE by its
 * header, uncompressed by its length. Returns undefined when none fits.
 */
export function detectTransferSyntax(bytes: Uint8Array, format: PixelFormat): string | undefined {
  const b = (n: number) => bytes[n] ?? -1;
  if (b(0) === 0xff && b(1) === 0x4f && b(2) === 0xff && b(3) === 0x51) {
    // A codestream: HTJ2K declares its capabilities in a CAP marker (FF50) of the main header, before the first tile.
    for (let pos = 2; pos + 3 < bytes.length && b(pos) === 0xff && b(pos + 1) !== 0x90;) {
      if (b(pos + 1) === 0x50) return TRANSFER_SYNTAX.htj2kLossless;
      pos += 2 + ((b(pos + 2) << 8) | b(pos + 3));
    }
    return TRANSFER_SYNTAX.jpeg2000Lossless;
  }
  if (b(4) === 0x6a && b(5) === 0x50) return TRANSFER_SYNTAX.jpeg2000Lossless;
  if (b(0) === 0xff && b(1) === 0xd8) {
    for (let pos = 2; pos + 3 < bytes.length;) {
      if (b(pos) !== 0xff) return undefined;
      const marker = b(pos + 1);
      if (marker === 0xc0) return TRANSFER_SYNTAX.jpegBaseline;
      if (marker === 0xc1) return TRANSFER_SYNTAX.jpegExtended;
      if (marker === 0xc3) return TRANSFER_SYNTAX.jpegLossless;
      if (marker === 0xf7) return TRANSFER_SYNTAX.jpegLsLossless;
      pos += 2 + ((b(pos + 2) << 8) | b(pos + 3));
    }
    return undefined;
  }
  const expected = format.rows * format.columns * (format.bitsAllocated / 8);
  if (bytes.byteLength === expected || bytes.byteLength === expected + 1)
    return TRANSFER_SYNTAX.explicitLittle;
  if (bytes.byteLength >= 64) {
    const header = new DataView(bytes.buffer, bytes.byteOffset, 64);
    const segments = header.getUint32(0, true);
    if (segments >= 1 && segments <= 15 && header.getUint32(4, true) === 64) return TRANSFER_SYNTAX.rle;
  }
  return undefined;
}
