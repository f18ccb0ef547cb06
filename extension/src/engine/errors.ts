/** Why the engine refused an input or a model file; `code` is stable for callers, `message` is for people. */
export type EngineErrorCode =
  | 'not-ct'
  | 'bad-dims'
  | 'bad-spacing'
  | 'bad-direction'
  | 'non-finite-voxel'
  | 'too-big'
  | 'no-classes'
  | 'unknown-class'
  | 'manifest-invalid'
  | 'fetch-failed'
  | 'integrity'
  | 'model-output'
  /** The WebGPU device was lost and ONNX Runtime cannot run again in this context: retry in a new worker. */
  | 'device-lost';

export class EngineError extends Error {
  readonly code: EngineErrorCode;
  constructor(code: EngineErrorCode, message: string) {
    super(message);
    this.name = 'EngineError';
    this.code = code;
  }
}
