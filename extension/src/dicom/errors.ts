/** Why a series could not become a volume, a frame could not be decoded, or a SEG could not be written or stored. */
export type DicomErrorCode =
  | 'no-slices'
  | 'missing-attribute'
  | 'bad-attribute'
  | 'not-ct'
  | 'enhanced-multiframe'
  | 'multiframe'
  | 'not-monochrome'
  | 'mixed-series'
  | 'mixed-geometry'
  | 'mixed-orientation'
  | 'gantry-tilt'
  | 'duplicate-slice'
  | 'missing-slice'
  | 'uneven-spacing'
  | 'unsupported-transfer-syntax'
  | 'decode-failed'
  | 'bad-mask'
  | 'bad-segment'
  | 'not-seg';

/** `code` is stable for callers; `message` names the problem for a person and says what to do where possible. */
export class DicomError extends Error {
  readonly code: DicomErrorCode;
  constructor(code: DicomErrorCode, message: string) {
    super(message);
    this.name = 'DicomError';
    this.code = code;
  }
}
