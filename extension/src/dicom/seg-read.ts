// Reads a BINARY DICOM SEG back into one mask per segment on the grid of its source series. Pure: no I/O.
import dcmjs, { type NaturalDataset } from 'dcmjs';
import { DicomError } from './errors.ts';
import type { SeriesPlan } from './series-geometry.ts';
import { SOP_CLASS } from './slice-header.ts';
import type { Code } from './seg-write.ts';

export interface ReadSegment {
  segmentNumber: number;
  label: string;
  category: Code | undefined;
  type: Code | undefined;
  region: Code | undefined;
  /** Recommended display colour converted back to 8-bit sRGB. */
  colour: [number, number, number] | undefined;
  algorithmType: string | undefined;
  algorithmName: string | undefined;
  /** One byte per voxel of the plan's grid, 1 inside. */
  mask: Uint8Array;
}

export interface ReadSeg {
  dataset: NaturalDataset;
  segmentsOverlap: string | undefined;
  segments: ReadSegment[];
}

const items = (v: unknown): NaturalDataset[] =>
  Array.isArray(v) ? (v as NaturalDataset[]) : v ? [v as NaturalDataset] : [];
const first = (v: unknown): NaturalDataset | undefined => items(v)[0];
const asCode = (v: unknown): Code | undefined => {
  const c = first(v);
  return c
    ? { scheme: String(c.CodingSchemeDesignator), value: String(c.CodeValue), meaning: String(c.CodeMeaning) }
    : undefined;
};
const numbers = (v: unknown): number[] => (Array.isArray(v) ? v : [v]).map(Number);

/** Decodes a SEG written for `plan`'s series; frames are placed by their Plane Position along the slice normal. */
export function readSegmentation(bytes: ArrayBuffer, plan: SeriesPlan): ReadSeg {
  const file = dcmjs.data.DicomMessage.readFile(bytes);
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict);
  if (ds.SOPClassUID !== SOP_CLASS.segmentation) {
    throw new DicomError('not-seg', `SOP Class ${String(ds.SOPClassUID)} is not Segmentation Storage`);
  }
  if (ds.SegmentationType !== 'BINARY') {
    throw new DicomError(
      'not-seg',
      `only BINARY segmentations are read; this one is ${String(ds.SegmentationType)}`,
    );
  }
  const [columns, rows, depth] = plan.dims;
  if (Number(ds.Rows) !== rows || Number(ds.Columns) !== columns) {
    throw new DicomError(
      'mixed-geometry',
      `SEG frames are ${ds.Columns}x${ds.Rows}; the series is ${columns}x${rows}`,
    );
  }
  const sliceSize = rows * columns;
  const pixelParts = (ds.PixelData ?? []) as ArrayBuffer[];
  const pixels = new Uint8Array(Array.isArray(pixelParts) ? (pixelParts[0] as ArrayBuffer) : pixelParts);
  const normal = [plan.direction[2], plan.direction[5], plan.direction[8]] as number[];
  const along = (p: number[]) =>
    p.reduce((sum, x, n) => sum + (x - (plan.origin[n] as number)) * (normal[n] as number), 0);

  const segments = new Map<number, ReadSegment>();
  for (const item of items(ds.SegmentSequence)) {
    const segmentNumber = Number(item.SegmentNumber);
    segments.set(segmentNumber, {
      segmentNumber,
      label: String(item.SegmentLabel ?? ''),
      category: asCode(item.SegmentedPropertyCategoryCodeSequence),
      type: asCode(item.SegmentedPropertyTypeCodeSequence),
      region: asCode(item.AnatomicRegionSequence),
      colour: item.RecommendedDisplayCIELabValue
        ? (dcmjs.data.Colors.dicomlab2RGB8(numbers(item.RecommendedDisplayCIELabValue)) as [
            number,
            number,
            number,
          ])
        : undefined,
      algorithmType: item.SegmentAlgorithmType === undefined ? undefined : String(item.SegmentAlgorithmType),
      algorithmName: item.SegmentAlgorithmName === undefined ? undefined : String(item.SegmentAlgorithmName),
      mask: new Uint8Array(sliceSize * depth),
    });
  }
  items(ds.PerFrameFunctionalGroupsSequence).forEach((frame, f) => {
    const segmentNumber = Number(first(frame.SegmentIdentificationSequence)?.ReferencedSegmentNumber);
    const segment = segments.get(segmentNumber);
    if (!segment)
      throw new DicomError('not-seg', `frame ${f + 1} references unknown segment ${segmentNumber}`);
    const position = numbers(first(frame.PlanePositionSequence)?.ImagePositionPatient);
    const z = along(position) / plan.spacing[2];
    const k = Math.round(z);
    if (position.length !== 3 || Math.abs(z - k) > 0.05 || k < 0 || k >= depth) {
      throw new DicomError(
        'mixed-geometry',
        `SEG frame ${f + 1} at [${position}] lies on no slice of the series`,
      );
    }
    const offset = k * sliceSize;
    const start = f * sliceSize;
    for (let n = 0; n < sliceSize; n++) {
      const bit = start + n;
      if (((pixels[bit >> 3] as number) >> (bit & 7)) & 1) segment.mask[offset + n] = 1;
    }
  });
  return {
    dataset: ds,
    segmentsOverlap: ds.SegmentsOverlap === undefined ? undefined : String(ds.SegmentsOverlap),
    segments: [...segments.values()],
  };
}
