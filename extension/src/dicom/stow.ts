// Stores a written SEG to the PACS by STOW-RS and turns every possible answer (PS3.18 10.5.3: 200, 202, 409, other
// 4xx, 5xx, no answer, no connection) into one outcome with a message for the user. Never throws for a failed
// store: the outcome then carries the SEG bytes so the caller can offer a download or a retry; nothing is lost.
import type { DicomJsonDataset } from 'dcmjs';
import { DicomWebError, jsonString, type DicomWebSource } from './dicomweb.ts';

export interface SegToStore {
  bytes: ArrayBuffer;
  studyInstanceUID: string;
  sopInstanceUID: string;
}

export type StoreFailure =
  | 'unreachable'
  | 'timeout'
  | 'aborted'
  | 'refused' // the PACS answered and did not store it (409, FailedSOPSequence, other 4xx)
  | 'unauthorized' // 401/403
  | 'server-error'; // 5xx

export type StoreOutcome =
  | { stored: true; status: 200 | 202; message: string; warnings: string[]; retrieveUrl: string | undefined }
  | {
      stored: false;
      failure: StoreFailure;
      status: number | undefined;
      message: string;
      /** The SEG, unchanged, for download or retry. */
      bytes: ArrayBuffer;
      /** Suggested file name for a download. */
      fileName: string;
    };

/** PS3.4 / PS3.18 status codes a STOW-RS response gives per instance (FailureReason, WarningReason). */
const REASONS: Record<number, string> = {
  0x0110: 'processing failure',
  0x0122: 'SOP class not supported',
  0x0124: 'not authorized',
  0xa700: 'out of resources',
  0xa900: 'data set does not match the SOP class',
  0xc000: 'cannot understand',
  0xc122: 'transfer syntax not supported',
  0xb000: 'coercion of data elements',
  0xb006: 'elements discarded',
  0xb007: 'data set does not match the SOP class',
};

const reasonText = (code: string) => {
  const n = Number(code);
  const hex = `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;
  return REASONS[n] ? `${REASONS[n]} (${hex})` : `status ${hex}`;
};

const KEPT = 'The segmentation was not lost: download the SEG file or retry.';

const items = (ds: DicomJsonDataset | undefined, tag: string) =>
  (ds?.[tag]?.Value ?? []) as DicomJsonDataset[];

/** Reasons the server gave in FailedSOPSequence (0008,1198) for our instance, or from the body text. */
function failureReasons(body: DicomJsonDataset | undefined, sopInstanceUID: string): string[] {
  return items(body, '00081198')
    .filter((f) => !jsonString(f, '00081155') || jsonString(f, '00081155') === sopInstanceUID)
    .map((f) => reasonText(jsonString(f, '00081197')));
}

function failed(
  seg: SegToStore,
  failure: StoreFailure,
  status: number | undefined,
  message: string,
): StoreOutcome {
  return {
    stored: false,
    failure,
    status,
    message,
    bytes: seg.bytes,
    fileName: `seg-${seg.sopInstanceUID}.dcm`,
  };
}

function serverDetail(body: string | undefined): string {
  if (!body) return '';
  try {
    const parsed = JSON.parse(body) as DicomJsonDataset & { Message?: string; Details?: string };
    const reasons = items(parsed, '00081198').map((f) => reasonText(jsonString(f, '00081197')));
    if (reasons.length) return `: ${reasons.join(', ')}`;
    const text = parsed.Details ?? parsed.Message;
    if (typeof text === 'string' && text) return `: ${text.slice(0, 200)}`;
  } catch {
    // not JSON (XML, HTML or plain text): show the start of it
  }
  const plain = body
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return plain ? `: ${plain.slice(0, 200)}` : '';
}

/** Stores the SEG in its study; resolves to what happened, with the message to show. */
export async function storeSegmentation(
  source: DicomWebSource,
  seg: SegToStore,
  signal?: AbortSignal,
): Promise<StoreOutcome> {
  try {
    const { status, body } = await source.store([seg.bytes], seg.studyInstanceUID, signal);
    const reasons = failureReasons(body, seg.sopInstanceUID);
    if (reasons.length) {
      return failed(
        seg,
        'refused',
        status,
        `The PACS did not store the segmentation (${reasons.join(', ')}). ${KEPT}`,
      );
    }
    const warnings = [
      ...(body?.['00081196']?.Value ?? []).map((code) => reasonText(String(code))),
      ...items(body, '00081199').flatMap((r) =>
        (r['00081196']?.Value ?? []).map((code) => reasonText(String(code))),
      ),
    ];
    const retrieveUrl = items(body, '00081199')
      .map((r) => jsonString(r, '00081190'))
      .find((u) => u !== '');
    const message =
      status === 202 || warnings.length
        ? `Stored the segmentation in the PACS with warnings${warnings.length ? `: ${warnings.join(', ')}` : ''}.`
        : 'Stored the segmentation in the PACS.';
    return { stored: true, status, message, warnings, retrieveUrl };
  } catch (err) {
    if (!(err instanceof DicomWebError)) throw err;
    const where = source.url;
    switch (err.kind) {
      case 'unreachable':
        return failed(
          seg,
          'unreachable',
          undefined,
          `Cannot reach the PACS at ${where}: it is down or the address is wrong. ${KEPT}`,
        );
      case 'timeout':
        return failed(
          seg,
          'timeout',
          undefined,
          `The PACS at ${where} did not answer in time; the segmentation may not have been stored. ${KEPT}`,
        );
      case 'aborted':
        return failed(seg, 'aborted', undefined, `Storing the segmentation was cancelled. ${KEPT}`);
      case 'http':
        break;
    }
    const status = err.status as number;
    const detail = serverDetail(err.body);
    if (status === 401 || status === 403) {
      return failed(
        seg,
        'unauthorized',
        status,
        `The PACS refused to store the segmentation (HTTP ${status}: not allowed${detail}); check your login and ` +
          `permissions. ${KEPT}`,
      );
    }
    if (status === 409) {
      return failed(
        seg,
        'refused',
        status,
        `The PACS refused the segmentation (HTTP 409 Conflict${detail}). ${KEPT}`,
      );
    }
    if (status >= 500) {
      return failed(
        seg,
        'server-error',
        status,
        `The PACS failed while storing the segmentation (HTTP ${status}${detail}); retry later. ${KEPT}`,
      );
    }
    const what =
      status === 404
        ? `no STOW-RS service at ${where}/studies`
        : status === 413
          ? 'the file is too large for this PACS'
          : status === 415
            ? 'this PACS does not accept DICOM files by STOW-RS'
            : 'the request was rejected';
    return failed(
      seg,
      'refused',
      status,
      `The PACS did not store the segmentation (HTTP ${status}: ${what}${detail}). ${KEPT}`,
    );
  }
}
