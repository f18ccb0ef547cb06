// The small surface of untyped npm packages that extension/src/dicom uses (dcmjs and the codec builds ship no
// declarations). Shapes follow the packages' own sources at the pinned versions.

declare module 'dcmjs' {
  /** One element of the DICOM JSON model (PS3.18 F.2), which is also dcmjs's "denaturalized" form. */
  export interface DicomJsonElement {
    vr: string;
    Value?: unknown[];
    InlineBinary?: string;
    BulkDataURI?: string;
  }
  export type DicomJsonDataset = Record<string, DicomJsonElement>;
  /** Keyword-keyed dataset ("naturalized"): sequences are arrays of datasets, multi-values arrays. */
  export type NaturalDataset = Record<string, unknown>;

  export class DicomDict {
    constructor(meta: DicomJsonDataset);
    meta: DicomJsonDataset;
    dict: DicomJsonDataset;
    write(options?: { allowInvalidVRLength?: boolean; fragmentMultiframe?: boolean }): ArrayBuffer;
  }
  export class DicomMessage {
    static readFile(
      buffer: ArrayBuffer,
      options?: {
        ignoreErrors?: boolean;
        untilTag?: string;
        includeUntilTagValue?: boolean;
        noCopy?: boolean;
      },
    ): DicomDict;
  }
  export const DicomMetaDictionary: {
    naturalizeDataset(dataset: DicomJsonDataset): NaturalDataset;
    denaturalizeDataset(dataset: NaturalDataset): DicomJsonDataset;
    uid(): string;
    date(): string;
    time(): string;
  };
  const dcmjs: {
    data: {
      DicomDict: typeof DicomDict;
      DicomMessage: typeof DicomMessage;
      DicomMetaDictionary: typeof DicomMetaDictionary;
      Colors: {
        /** 8-bit sRGB -> 16-bit DICOM CIELab (PCS D50), rounded and clamped. */
        rgb82DICOMLAB(rgb: readonly number[]): number[];
        /** 16-bit DICOM CIELab -> 8-bit sRGB, rounded and clamped. */
        dicomlab2RGB8(lab: readonly number[]): number[];
      };
    };
  };
  export default dcmjs;
}

/** Emscripten module of the cornerstone codec builds: a factory resolving to the codec's classes. */
interface EmscriptenDecoderModule<D> {
  (options?: Record<string, unknown>): Promise<{ [name: string]: new () => D }>;
}

interface CodecFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned?: boolean;
}

/** J2KDecoder (OpenJPEG), HTJ2KDecoder (OpenJPH), JpegLSDecoder (CharLS) and JPEGDecoder (libjpeg-turbo) share this shape. */
interface CodecDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): CodecFrameInfo;
  delete(): void;
}

declare module '@cornerstonejs/codec-openjpeg/decode' {
  const factory: EmscriptenDecoderModule<CodecDecoder>;
  export default factory;
}
declare module '@cornerstonejs/codec-charls/decode' {
  const factory: EmscriptenDecoderModule<CodecDecoder>;
  export default factory;
}
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decode' {
  const factory: EmscriptenDecoderModule<CodecDecoder>;
  export default factory;
}
/** OpenJPH (HTJ2K): WebAssembly only; HTJ2KDecoder has the CodecDecoder shape, HTJ2KEncoder is used by tests. */
declare module '@cornerstonejs/codec-openjph' {
  const factory: EmscriptenDecoderModule<CodecDecoder>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  const factory: EmscriptenDecoderModule<CodecDecoder>;
  export default factory;
}
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  const factory: EmscriptenDecoderModule<CodecDecoder>;
  export default factory;
}
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  const factory: EmscriptenDecoderModule<CodecDecoder>;
  export default factory;
}

declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    /** Decodes a JPEG lossless (process 14) stream; numBytes is bytes per sample (1 or 2). */
    decode(
      buffer: ArrayBufferLike,
      offset: number,
      length: number,
      numBytes?: number,
    ): Uint8Array | Uint16Array;
  }
}

declare module 'xhr2' {
  /** XMLHttpRequest for Node on top of node:http/https (the browser's own is used in the viewer). */
  const XMLHttpRequest: { new (): globalThis.XMLHttpRequest };
  export default XMLHttpRequest;
}
