// Minimal DICOMweb client for tests and the demo: STOW-RS of Part 10 files and QIDO-RS queries (DICOM JSON model).
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** One dataset in the DICOM JSON model (PS3.18 F.2): tag "GGGGEEEE" -> { vr, Value }. */
export type DicomJson = Record<string, { vr: string; Value?: unknown[] } | undefined>;

export const TAG = {
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SOPInstanceUID: '00080018',
  Modality: '00080060',
  ModalitiesInStudy: '00080061',
  PatientID: '00100020',
  NumberOfStudyRelatedInstances: '00201208',
  NumberOfSeriesRelatedInstances: '00201209',
  RetrieveURL: '00081190',
  FailedSOPSequence: '00081198',
  ReferencedSOPSequence: '00081199',
  FailureReason: '00081197',
} as const;

/** First value of a tag as a string, or undefined. */
export function firstString(dataset: DicomJson, tag: string): string | undefined {
  const value = dataset[tag]?.Value?.[0];
  return value === undefined || value === null ? undefined : String(value);
}

/** Every `.dcm` file under a folder (recursive), sorted by path. */
export async function listDicomFiles(folder: string): Promise<string[]> {
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`not a folder of DICOM files: ${folder}`);
  const out: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) out.push(...(await listDicomFiles(full)));
    else if (entry.name.toLowerCase().endsWith('.dcm')) out.push(full);
  }
  return out.sort();
}

const BATCH_BYTES = 32 * 1024 * 1024;

function multipartBody(parts: Buffer[], boundary: string): Uint8Array<ArrayBuffer> {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
      part,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return new Uint8Array(Buffer.concat(chunks));
}

function studyUidFromRetrieveUrl(url: string): string | undefined {
  return /\/studies\/([0-9.]+)/.exec(url)?.[1];
}

async function stowBatch(dicomWebUrl: string, files: string[], contents: Buffer[]): Promise<Set<string>> {
  const boundary = `contseg-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const response = await fetch(`${dicomWebUrl}/studies`, {
    method: 'POST',
    headers: {
      'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      Accept: 'application/dicom+json',
    },
    body: multipartBody(contents, boundary),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(
      `STOW-RS of ${files.length} file(s) failed: HTTP ${response.status} ${text.slice(0, 300)}`,
    );
  }
  const result = JSON.parse(text) as DicomJson;
  const failed = (result[TAG.FailedSOPSequence]?.Value ?? []) as DicomJson[];
  if (failed.length) {
    const reasons = failed.map(
      (f) => `${firstString(f, '00081155')} (reason ${firstString(f, TAG.FailureReason)})`,
    );
    throw new Error(
      `STOW-RS rejected ${failed.length} of ${files.length} instance(s): ${reasons.join(', ')}`,
    );
  }
  const stored = (result[TAG.ReferencedSOPSequence]?.Value ?? []) as DicomJson[];
  if (stored.length !== files.length) {
    throw new Error(
      `STOW-RS stored ${stored.length} of ${files.length} instance(s) from ${path.dirname(files[0]!)}`,
    );
  }
  const studies = new Set<string>();
  for (const item of stored) {
    const uid = studyUidFromRetrieveUrl(firstString(item, TAG.RetrieveURL) ?? '');
    if (uid) studies.add(uid);
  }
  return studies;
}

/**
 * STOW-RS the given Part 10 files to `{dicomWebUrl}/studies` in batches; returns the Study Instance UIDs stored.
 * Throws (naming the files) if the server refuses any instance.
 */
export async function stowFiles(dicomWebUrl: string, files: string[]): Promise<string[]> {
  if (!files.length) throw new Error('stowFiles: no files given');
  const studies = new Set<string>();
  let batch: string[] = [];
  let contents: Buffer[] = [];
  let bytes = 0;
  const flush = async () => {
    if (!batch.length) return;
    for (const uid of await stowBatch(dicomWebUrl, batch, contents)) studies.add(uid);
    batch = [];
    contents = [];
    bytes = 0;
  };
  for (const file of files) {
    const content = await readFile(file);
    if (content.length < 132 || content.toString('latin1', 128, 132) !== 'DICM') {
      throw new Error(`not a DICOM Part 10 file (no DICM preamble): ${file}`);
    }
    if (bytes + content.length > BATCH_BYTES) await flush();
    batch.push(file);
    contents.push(content);
    bytes += content.length;
  }
  await flush();
  return [...studies].sort();
}

/** STOW-RS every `.dcm` file under a folder; returns the Study Instance UIDs stored. */
export async function stowFolder(dicomWebUrl: string, folder: string): Promise<string[]> {
  const files = await listDicomFiles(folder);
  if (!files.length) throw new Error(`no .dcm files under ${folder}`);
  return stowFiles(dicomWebUrl, files);
}

/** QIDO-RS: `GET {dicomWebUrl}/{resource}?{query}`; returns the DICOM JSON datasets (empty list on 204). */
export async function qido(
  dicomWebUrl: string,
  resource: string,
  query: Record<string, string> = {},
): Promise<DicomJson[]> {
  const url = new URL(`${dicomWebUrl}/${resource.replace(/^\//, '')}`);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const response = await fetch(url, { headers: { Accept: 'application/dicom+json' } });
  if (response.status === 204) return [];
  if (!response.ok) throw new Error(`QIDO-RS ${url.pathname}${url.search} failed: HTTP ${response.status}`);
  return (await response.json()) as DicomJson[];
}
