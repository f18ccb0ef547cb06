// The sentence the panel shows when a run fails: what went wrong in the user's terms, then the engine's or DICOM
// layer's own message (which names the file, slice or class concerned).
import { DicomError } from '../../dicom/errors.ts';
import { DicomWebError } from '../../dicom/dicomweb.ts';
import { EngineError } from '../../engine/errors.ts';

export function runErrorMessage(err: unknown): string {
  const detail = err instanceof Error ? err.message : String(err);
  if (err instanceof EngineError) {
    switch (err.code) {
      case 'integrity':
      case 'manifest-invalid':
        return `The installed model is damaged or incomplete; ask your administrator to reinstall it. (${detail})`;
      case 'fetch-failed':
        return `The model could not be downloaded from the viewer's server: ${detail}`;
      case 'unknown-class':
      case 'no-classes':
        return `The model cannot segment what was asked: ${detail}`;
      case 'model-output':
        return `The model gave an invalid result: ${detail}`;
      default:
        return `This CT cannot be segmented: ${detail}`;
    }
  }
  if (err instanceof DicomError) return `This series cannot be segmented as one CT volume: ${detail}`;
  if (err instanceof DicomWebError) return `Reading the images from the PACS failed: ${detail}`;
  return detail;
}
