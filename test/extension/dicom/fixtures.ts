// Test inputs for extension/src/dicom: the real CT series in ../shared/data (when present) and synthetic CT series
// written with dcmjs (always available), plus DCMTK transcoding of real files into other transfer syntaxes.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import dcmjs, { type NaturalDataset } from 'dcmjs';
import { readPart10Image, type Part10Image } from '../../../extension/src/dicom/part10.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SHARED_DICOM = path.resolve(root, '../shared/data/dicom');
export const REAL_J2K = path.join(SHARED_DICOM, 'totalseg-20slice-j2k');
export const REAL_RAW = path.join(SHARED_DICOM, 'totalseg-20slice-raw');
/** Reason to skip tests on the real series, or false when it is there. */
export const NO_REAL_DATA =
  existsSync(REAL_RAW) && existsSync(REAL_J2K) ? false : `no real series at ${SHARED_DICOM}`;

export const run = promisify(execFile);

export function toArrayBuffer(buf: Uint8Array): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

export async function readFolder(folder: string): Promise<{ file: string; image: Part10Image }[]> {
  const files = (await readdir(folder)).filter((f) => f.endsWith('.dcm')).sort();
  return Promise.all(
    files.map(async (file) => ({
      file,
      image: readPart10Image(toArrayBuffer(await readFile(path.join(folder, file)))),
    })),
  );
}

/** Runs a DCMTK transcoder (dcmcrle, dcmcjpls, dcmcjpeg) on the first `count` files of a folder. */
export async function transcodeFolder(folder: string, tool: string, args: string[], count: number) {
  const out = await mkdtemp(path.join(tmpdir(), `contseg-${tool}-`));
  try {
    for (const file of (await readdir(folder))
      .filter((f) => f.endsWith('.dcm'))
      .sort()
      .slice(0, count)) {
      await run(tool, [...args, path.join(folder, file), path.join(out, file)]);
    }
    return await readFolder(out);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

export interface SyntheticSeriesOptions {
  columns?: number;
  rows?: number;
  slices?: number;
  pixelSpacing?: [number, number];
  sliceGap?: number;
  orientation?: [number, number, number, number, number, number];
  origin?: [number, number, number];
  modality?: string;
  /** Stored value of pixel (i, j) of slice k (Int16, PixelRepresentation 1). */
  value?: (i: number, j: number, k: number) => number;
}

const uid = () => dcmjs.data.DicomMetaDictionary.uid();
/** Rounds to what a DS (16 characters) holds exactly. */
const ds = (x: number) => Number(x.toFixed(8));

/**
 * Naturalized datasets of a synthetic single-frame CT series (Int16 pixels, RescaleIntercept -1024), slice k at
 * origin + k * sliceGap * normal; enough attributes for volume building, SEG writing and dciodvfy.
 */
export function syntheticSeries(options: SyntheticSeriesOptions = {}): NaturalDataset[] {
  const columns = options.columns ?? 16;
  const rows = options.rows ?? 12;
  const slices = options.slices ?? 6;
  const orientation = options.orientation ?? [1, 0, 0, 0, 1, 0];
  const [r0, r1, r2, c0, c1, c2] = orientation;
  const normal = [r1 * c2 - r2 * c1, r2 * c0 - r0 * c2, r0 * c1 - r1 * c0];
  const origin = options.origin ?? [-20, -30, 100];
  const gap = options.sliceGap ?? 2.5;
  const value = options.value ?? ((i, j, k) => i + 3 * j + 50 * k);
  const study = uid();
  const series = uid();
  const frameOfReference = uid();
  return Array.from({ length: slices }, (_, k) => {
    const pixels = new Int16Array(columns * rows);
    for (let j = 0; j < rows; j++) for (let i = 0; i < columns; i++) pixels[i + columns * j] = value(i, j, k);
    return {
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
      SOPInstanceUID: uid(),
      StudyInstanceUID: study,
      SeriesInstanceUID: series,
      FrameOfReferenceUID: frameOfReference,
      PositionReferenceIndicator: '',
      Modality: options.modality ?? 'CT',
      PatientName: 'Synthetic^Phantom',
      PatientID: 'SYNTH001',
      PatientBirthDate: '',
      PatientSex: 'O',
      StudyDate: '20260101',
      StudyTime: '120000',
      StudyID: 'S1',
      AccessionNumber: '',
      ReferringPhysicianName: '',
      SeriesNumber: 1,
      InstanceNumber: slices - k, // deliberately opposite to the spatial order
      Manufacturer: 'contseg tests',
      ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
      KVP: 120,
      PatientPosition: 'HFS',
      AcquisitionNumber: 1,
      ImagePositionPatient: origin.map((o, n) => ds(o + k * gap * (normal[n] as number))),
      ImageOrientationPatient: orientation.map(ds),
      PixelSpacing: options.pixelSpacing ?? [0.8, 0.7],
      SliceThickness: gap,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      Rows: rows,
      Columns: columns,
      BitsAllocated: 16,
      BitsStored: 16,
      HighBit: 15,
      PixelRepresentation: 1,
      RescaleIntercept: -1024,
      RescaleSlope: 1,
      RescaleType: 'HU',
      PixelData: pixels.buffer,
      _vrMap: { PixelData: 'OW' },
    };
  });
}

/** Writes a naturalized dataset as a Part 10 file in Explicit VR Little Endian. */
export function writePart10(dataset: NaturalDataset): ArrayBuffer {
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '2.25.1234567890',
  };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  return dict.write();
}

/** Runs dciodvfy on the bytes; returns its Error and Warning lines. */
export async function dciodvfy(bytes: ArrayBuffer): Promise<{ errors: string[]; warnings: string[] }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'contseg-seg-'));
  try {
    const file = path.join(dir, 'seg.dcm');
    await writeFile(file, new Uint8Array(bytes));
    const { stdout, stderr } = await run('/usr/bin/dciodvfy', ['-new', file]).catch(
      (err: { stdout: string; stderr: string }) => err,
    );
    const lines = `${stdout}\n${stderr}`.split('\n');
    return {
      errors: lines.filter((l) => /^Error/.test(l)),
      warnings: lines.filter((l) => /^Warning/.test(l)),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
