// Public API of the DICOM layer (browser-safe; Node-only helpers are in codec-wasm-node.ts and dicomweb-node.ts).
export { DicomError, type DicomErrorCode } from './errors.ts';
export {
  SOP_CLASS,
  sliceHeaderFromDataset,
  sliceHeaderFromDicomJson,
  type SliceHeader,
} from './slice-header.ts';
export { DEFAULT_TOLERANCE, planSeries, type GeometryTolerance, type SeriesPlan } from './series-geometry.ts';
export {
  CODEC_WASM_FILES,
  detectTransferSyntax,
  FrameDecoder,
  SUPPORTED_TRANSFER_SYNTAXES,
  TRANSFER_SYNTAX,
  wasmFromUrl,
  type CodecName,
  type PixelFormat,
  type WasmBinaryLoader,
} from './frame-decode.ts';
export { buildVolume, VolumeAssembler, type BuildOptions, type FrameSource } from './volume-build.ts';
export { readPart10Image, type Part10Image } from './part10.ts';
export {
  DicomWebError,
  DicomWebSource,
  jsonString,
  type DicomWebFailure,
  type DicomWebOptions,
  type SeriesSummary,
  type StowResponse,
  type StudySummary,
} from './dicomweb.ts';
export { loadSeriesVolume, type LoadedSeries, type LoadOptions } from './load-series.ts';
export {
  writeSegmentation,
  type Code,
  type SegmentInput,
  type SegWriteInput,
  type WrittenSeg,
} from './seg-write.ts';
export { readSegmentation, type ReadSeg, type ReadSegment } from './seg-read.ts';
export { segmentCodes, type SegmentCodes } from './seg-codes.ts';
export { storeSegmentation, type SegToStore, type StoreFailure, type StoreOutcome } from './stow.ts';
