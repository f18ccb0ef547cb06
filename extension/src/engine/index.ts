// The engine's public API: pure TypeScript, no OHIF; runs in a Web Worker, a page or Node.
export { EngineError, type EngineErrorCode } from './errors.ts';
export { MAX_VOXELS, validateVolume, type Volume } from './volume.ts';
export { resolveClassNames, suggestClassNames } from './class-names.ts';
export {
  parseManifest,
  type Manifest,
  type ManifestClass,
  type ManifestCode,
  type ManifestFile,
} from './manifest.ts';
export { CacheStorageFileCache, sha256Hex, type FileCache } from './model-files.ts';
export { loadModel, Model, type LoadOptions } from './model.ts';
export type { Progress, SegmentOptions, SegmentResult, SegmentedClass, Stage } from './segment.ts';
export type { Backend, RuntimeSettings } from './session.ts';
export type { Connectivity } from './postprocess.ts';
export { boxedToGrid, gridToBoxed, type Box, type BoxedBytes } from './boxed.ts';
export { EngineClient } from './worker-client.ts';
export type { MessagePortLike } from './worker-protocol.ts';
