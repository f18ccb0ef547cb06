// Reads a DICOM Part 10 file (bytes already in memory) into its slice header and encoded frame. Pure: no I/O.
import dcmjs from 'dcmjs';
import { DicomError } from './errors.ts';
import { sliceHeaderFromDataset, type SliceHeader } from './slice-header.ts';

export interface Part10Image {
  header: SliceHeader;
  /** The encoded pixel data of the (single) frame, in `header.transferSyntaxUID`. */
  frame: Uint8Array;
}

function concat(parts: ArrayBuffer[]): Uint8Array {
  if (parts.length === 1) return new Uint8Array(parts[0] as ArrayBuffer);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  return out;
}

/** Parses one single-frame image instance. Throws DicomError when it has no pixel data or is not a Part 10 file. */
export function readPart10Image(bytes: ArrayBuffer): Part10Image {
  let file;
  try {
    file = dcmjs.data.DicomMessage.readFile(bytes);
  } catch (err) {
    throw new DicomError(
      'missing-attribute',
      `not a readable DICOM Part 10 file: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const meta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.meta);
  const pixelData = file.dict['7FE00010'];
  delete file.dict['7FE00010'];
  const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict);
  const header = sliceHeaderFromDataset(dataset, String(meta.TransferSyntaxUID ?? ''));
  const parts = (pixelData?.Value ?? []) as ArrayBuffer[];
  if (parts.length === 0) {
    throw new DicomError(
      'missing-attribute',
      `instance ${header.sopInstanceUID} has no PixelData (7FE0,0010)`,
    );
  }
  return { header, frame: concat(parts) };
}
