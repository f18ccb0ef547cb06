// The attributes of one image instance that volume building and SEG writing need, read from a dcmjs "naturalized"
// dataset (a Part 10 file read with dcmjs, or WADO-RS metadata in the DICOM JSON model naturalized by dcmjs).
import dcmjs, { type DicomJsonDataset, type NaturalDataset } from 'dcmjs';
import { DicomError } from './errors.ts';

export const SOP_CLASS = {
  ct: '1.2.840.10008.5.1.4.1.1.2',
  enhancedCt: '1.2.840.10008.5.1.4.1.1.2.1',
  legacyEnhancedCt: '1.2.840.10008.5.1.4.1.1.2.2',
  segmentation: '1.2.840.10008.5.1.4.1.1.66.4',
} as const;

export interface SliceHeader {
  sopInstanceUID: string;
  sopClassUID: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  frameOfReferenceUID: string | undefined;
  modality: string;
  rows: number;
  columns: number;
  /** PixelSpacing: [row spacing (between rows), column spacing (between columns)] in mm. */
  pixelSpacing: [number, number] | undefined;
  imagePosition: [number, number, number] | undefined;
  /** ImageOrientationPatient: row direction cosines then column direction cosines. */
  imageOrientation: [number, number, number, number, number, number] | undefined;
  rescaleSlope: number;
  rescaleIntercept: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  samplesPerPixel: number;
  photometricInterpretation: string;
  numberOfFrames: number;
  gantryTilt: number;
  instanceNumber: number | undefined;
  /** Transfer syntax of the stored pixel data, where known (Part 10 meta header, or WADO-RS AvailableTransferSyntaxUID). */
  transferSyntaxUID: string | undefined;
  /** The whole naturalized dataset, for the SEG writer's patient/study/series attributes. */
  dataset: NaturalDataset;
}

function str(ds: NaturalDataset, key: string): string | undefined {
  const v = ds[key];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return undefined;
  const s = String(first).trim();
  return s === '' ? undefined : s;
}

function nums(ds: NaturalDataset, key: string): number[] | undefined {
  const v = ds[key];
  if (v === undefined || v === null || v === '') return undefined;
  const list = (Array.isArray(v) ? v : String(v).split('\\')).map(Number);
  return list.every(Number.isFinite) ? list : undefined;
}

function num(ds: NaturalDataset, key: string): number | undefined {
  return nums(ds, key)?.[0];
}

function required<T>(value: T | undefined, uid: string, name: string, tag: string): T {
  if (value === undefined) {
    throw new DicomError(
      'missing-attribute',
      `instance ${uid} has no ${name} ${tag}; it cannot be placed in a volume`,
    );
  }
  return value;
}

/** Reads a SliceHeader from a naturalized dataset; throws DicomError('missing-attribute') naming the tag. */
export function sliceHeaderFromDataset(ds: NaturalDataset, transferSyntaxUID?: string): SliceHeader {
  const uid = str(ds, 'SOPInstanceUID') ?? '(no SOPInstanceUID)';
  const need = <T>(value: T | undefined, name: string, tag: string) => required(value, uid, name, tag);
  const spacing = nums(ds, 'PixelSpacing');
  const position = nums(ds, 'ImagePositionPatient');
  const orientation = nums(ds, 'ImageOrientationPatient');
  return {
    sopInstanceUID: need(str(ds, 'SOPInstanceUID'), 'SOPInstanceUID', '(0008,0018)'),
    sopClassUID: need(str(ds, 'SOPClassUID'), 'SOPClassUID', '(0008,0016)'),
    studyInstanceUID: need(str(ds, 'StudyInstanceUID'), 'StudyInstanceUID', '(0020,000D)'),
    seriesInstanceUID: need(str(ds, 'SeriesInstanceUID'), 'SeriesInstanceUID', '(0020,000E)'),
    frameOfReferenceUID: str(ds, 'FrameOfReferenceUID'),
    modality: str(ds, 'Modality') ?? '',
    rows: need(num(ds, 'Rows'), 'Rows', '(0028,0010)'),
    columns: need(num(ds, 'Columns'), 'Columns', '(0028,0011)'),
    pixelSpacing: spacing && spacing.length >= 2 ? [spacing[0] as number, spacing[1] as number] : undefined,
    imagePosition:
      position && position.length >= 3 ? (position.slice(0, 3) as [number, number, number]) : undefined,
    imageOrientation:
      orientation && orientation.length >= 6
        ? (orientation.slice(0, 6) as [number, number, number, number, number, number])
        : undefined,
    rescaleSlope: num(ds, 'RescaleSlope') ?? 1,
    rescaleIntercept: num(ds, 'RescaleIntercept') ?? 0,
    bitsAllocated: need(num(ds, 'BitsAllocated'), 'BitsAllocated', '(0028,0100)'),
    bitsStored: num(ds, 'BitsStored') ?? need(num(ds, 'BitsAllocated'), 'BitsAllocated', '(0028,0100)'),
    pixelRepresentation: num(ds, 'PixelRepresentation') === 1 ? 1 : 0,
    samplesPerPixel: num(ds, 'SamplesPerPixel') ?? 1,
    photometricInterpretation: str(ds, 'PhotometricInterpretation') ?? 'MONOCHROME2',
    numberOfFrames: num(ds, 'NumberOfFrames') ?? 1,
    gantryTilt: num(ds, 'GantryDetectorTilt') ?? 0,
    instanceNumber: num(ds, 'InstanceNumber'),
    transferSyntaxUID:
      transferSyntaxUID ?? str(ds, 'TransferSyntaxUID') ?? str(ds, 'AvailableTransferSyntaxUID'),
    dataset: ds,
  };
}

/** Reads a SliceHeader from one instance of WADO-RS metadata (DICOM JSON model, PS3.18 F.2). */
export function sliceHeaderFromDicomJson(json: DicomJsonDataset): SliceHeader {
  return sliceHeaderFromDataset(dcmjs.data.DicomMetaDictionary.naturalizeDataset(json));
}
