// Writes a DICOM Segmentation Storage instance (BINARY, Explicit VR Little Endian) with dcmjs from per-class masks on
// the grid of a CT series. One segment per class, coded with SNOMED CT; only frames that contain the segment.
import dcmjs, { type NaturalDataset } from 'dcmjs';
import { boxedOverlap, boxSize, checkBoxed, type BoxedBytes } from '../engine/boxed.ts';
import { DicomError } from './errors.ts';
import { ExplicitVrWriter } from './explicit-vr.ts';
import type { SeriesPlan } from './series-geometry.ts';
import { SOP_CLASS, type SliceHeader } from './slice-header.ts';

/** A coded concept: CodingSchemeDesignator, CodeValue, CodeMeaning (e.g. SCT 10200004 "Liver"). */
export interface Code {
  scheme: string;
  value: string;
  meaning: string;
}

/** One class to store as a segment: its codes and colour come from the model manifest's class entry. */
export interface SegmentInput {
  /** SegmentLabel, the class name shown to people, e.g. "liver tumour". */
  label: string;
  category: Code;
  type: Code;
  /** Anatomic region the type lies in (e.g. Liver for a Neoplasm), when the type alone does not say. */
  region?: Code;
  /** Display colour, 8-bit sRGB. */
  colour: [number, number, number];
  /** One byte per voxel of a box of the plan's grid (i fastest, then j, then k); non-zero = inside the segment. */
  mask: BoxedBytes;
}

export interface SegWriteInput {
  /** The source CT series as planned for the volume the masks were computed on. */
  plan: SeriesPlan;
  segments: SegmentInput[];
  /** Model that produced the masks: SegmentAlgorithmName and the algorithm identification. */
  algorithm: { id: string; version: string };
  seriesDescription?: string;
  seriesNumber?: number;
  /** ContentLabel (a DICOM CS: upper case, digits, underscore; at most 16 characters). */
  contentLabel?: string;
  contentDescription?: string;
  contentCreatorName?: string;
  /** Clock for ContentDate/Time and SeriesDate/Time (tests pin it). */
  now?: Date;
}

export interface WrittenSeg {
  /** The Part 10 file. */
  bytes: ArrayBuffer;
  sopInstanceUID: string;
  seriesInstanceUID: string;
  studyInstanceUID: string;
  /** Segments written (SegmentNumber order) and those left out because their mask was empty. */
  written: { segmentNumber: number; label: string; frames: number; voxels: number }[];
  empty: string[];
  overlapping: boolean;
}

const SCT_DERIVATION = { CodeValue: '113076', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Segmentation' };
const SOURCE_PURPOSE = {
  CodeValue: '121322',
  CodingSchemeDesignator: 'DCM',
  CodeMeaning: 'Source image for image processing operation',
};
const AI_FAMILY = {
  CodeValue: '123110',
  CodingSchemeDesignator: 'DCM',
  CodeMeaning: 'Artificial Intelligence',
};
const TAG_REFERENCED_SEGMENT_NUMBER = 0x0062000b;
const TAG_SEGMENT_IDENTIFICATION_SEQUENCE = 0x0062000a;
const TAG_IMAGE_POSITION_PATIENT = 0x00200032;
const TAG_PLANE_POSITION_SEQUENCE = 0x00209113;
const TAG_PER_FRAME_GROUPS = 0x52009230;
const TAG_PIXEL_DATA = 0x7fe00010;

const codeItem = (c: Code) => ({
  CodeValue: c.value,
  CodingSchemeDesignator: c.scheme,
  CodeMeaning: c.meaning,
});
const pad2 = (n: number) => String(n).padStart(2, '0');
const dicomDate = (d: Date) => `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}`;
const dicomTime = (d: Date) => `${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}${pad2(d.getUTCSeconds())}`;
/** A DS value that fits 16 characters. */
const ds = (x: number) => Number(x.toPrecision(10));

/** Attributes copied unchanged from the source series (Patient, General Study and patient-study modules). */
const COPIED_FROM_SOURCE = [
  'SpecificCharacterSet',
  'PatientName',
  'PatientID',
  'IssuerOfPatientID',
  'PatientBirthDate',
  'PatientSex',
  'PatientAge',
  'PatientWeight',
  'StudyInstanceUID',
  'StudyDate',
  'StudyTime',
  'StudyID',
  'StudyDescription',
  'AccessionNumber',
  'ReferringPhysicianName',
  'PositionReferenceIndicator',
] as const;

function validate(input: SegWriteInput): void {
  const [x, y, z] = input.plan.dims;
  if (input.segments.length === 0) throw new DicomError('bad-segment', 'no segments were given to write');
  const labels = new Set<string>();
  for (const s of input.segments) {
    try {
      checkBoxed(s.mask, [x, y, z], `the mask of "${s.label}"`);
    } catch (e) {
      throw new DicomError('bad-mask', `${(e as Error).message} (the series grid)`);
    }
    if (!s.label.trim()) throw new DicomError('bad-segment', 'a segment has an empty label');
    if (labels.has(s.label)) throw new DicomError('bad-segment', `two segments are labelled "${s.label}"`);
    labels.add(s.label);
    for (const [what, code] of [
      ['category', s.category],
      ['type', s.type],
    ] as const) {
      if (!code?.scheme || !code.value || !code.meaning) {
        throw new DicomError(
          'bad-segment',
          `segment "${s.label}" has no complete ${what} code (scheme, value, meaning)`,
        );
      }
    }
  }
  if (!input.plan.frameOfReferenceUID) {
    throw new DicomError(
      'missing-attribute',
      'the source series has no FrameOfReferenceUID (0020,0052); a SEG cannot be placed without it',
    );
  }
}

/** A coded concept item: Code Value, Coding Scheme Designator, Code Meaning. */
function writeCode(w: ExplicitVrWriter, code: typeof SOURCE_PURPOSE): void {
  w.text(0x00080100, 'SH', [code.CodeValue]);
  w.text(0x00080102, 'SH', [code.CodingSchemeDesignator]);
  w.text(0x00080104, 'LO', [code.CodeMeaning]);
}

/** DS text of at most 16 characters, as dcmjs writes `ds(x)`. */
const dsText = (x: number): string => {
  const text = String(ds(x));
  return text.length <= 16 ? text : x.toPrecision(9);
};

/**
 * Per-frame Functional Groups Sequence (5200,9230): per frame its source slice (Derivation Image), dimension index
 * values (segment, slice), position and segment; elements in ascending tag order within each item.
 */
function writePerFrameGroups(
  w: ExplicitVrWriter,
  frames: { segmentNumber: number; k: number }[],
  plan: SeriesPlan,
) {
  w.sequence(TAG_PER_FRAME_GROUPS, frames.length, (f) => {
    const { segmentNumber, k } = frames[f] as { segmentNumber: number; k: number };
    const slice = plan.slices[k] as SliceHeader;
    w.sequence(0x00089124, 1, () => {
      w.sequence(0x00082112, 1, () => {
        w.text(0x00081150, 'UI', [slice.sopClassUID]);
        w.text(0x00081155, 'UI', [slice.sopInstanceUID]);
        w.sequence(0x0040a170, 1, () => writeCode(w, SOURCE_PURPOSE));
      });
      w.sequence(0x00089215, 1, () => writeCode(w, SCT_DERIVATION));
    });
    w.sequence(0x00209111, 1, () => w.integers(0x00209157, 'UL', [segmentNumber, k + 1]));
    w.sequence(TAG_PLANE_POSITION_SEQUENCE, 1, () =>
      w.text(TAG_IMAGE_POSITION_PATIENT, 'DS', (slice.imagePosition as number[]).map(dsText)),
    );
    w.sequence(TAG_SEGMENT_IDENTIFICATION_SEQUENCE, 1, () =>
      w.integers(TAG_REFERENCED_SEGMENT_NUMBER, 'US', [segmentNumber]),
    );
  });
}

function concatBytes(a: Uint8Array, b: Uint8Array): ArrayBuffer {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out.buffer;
}

/** True when some voxel lies in two or more masks. */
const masksOverlap = (masks: BoxedBytes[]) =>
  masks.some((a, n) => masks.slice(n + 1).some((b) => boxedOverlap(a, b)));

/**
 * Builds the SEG. Frames are ordered by segment, then by slice position; each references its source slice.
 * Throws DicomError when masks do not match the grid, codes are incomplete, or every mask is empty.
 */
export function writeSegmentation(input: SegWriteInput): WrittenSeg {
  validate(input);
  const { plan } = input;
  const [columns, rows] = plan.dims;
  const sliceSize = columns * rows;
  const now = input.now ?? new Date();
  const source = (plan.slices[0] as SliceHeader).dataset;

  // Which slices each segment touches (only those in its box can).
  const frames: { segmentNumber: number; k: number; mask: BoxedBytes }[] = [];
  const written: WrittenSeg['written'] = [];
  const empty: string[] = [];
  const segmentItems: NaturalDataset[] = [];
  for (const segment of input.segments) {
    const segmentNumber = segmentItems.length + 1;
    let segmentFrames = 0;
    let voxels = 0;
    const { box, data } = segment.mask;
    const boxSlice = boxSize(box)[0] * boxSize(box)[1];
    for (let k = box.lo[2]; k < box.hi[2]; k++) {
      let count = 0;
      const offset = (k - box.lo[2]) * boxSlice;
      for (let n = 0; n < boxSlice; n++) if (data[offset + n] !== 0) count++;
      if (count > 0) {
        frames.push({ segmentNumber, k, mask: segment.mask });
        segmentFrames++;
        voxels += count;
      }
    }
    if (segmentFrames === 0) {
      empty.push(segment.label);
      continue;
    }
    written.push({ segmentNumber, label: segment.label, frames: segmentFrames, voxels });
    segmentItems.push({
      SegmentNumber: segmentNumber,
      SegmentLabel: segment.label,
      SegmentedPropertyCategoryCodeSequence: [codeItem(segment.category)],
      SegmentedPropertyTypeCodeSequence: [codeItem(segment.type)],
      ...(segment.region ? { AnatomicRegionSequence: [codeItem(segment.region)] } : {}),
      SegmentAlgorithmType: 'AUTOMATIC',
      SegmentAlgorithmName: `${input.algorithm.id} ${input.algorithm.version}`,
      SegmentationAlgorithmIdentificationSequence: [
        {
          AlgorithmFamilyCodeSequence: [AI_FAMILY],
          AlgorithmName: input.algorithm.id,
          AlgorithmVersion: input.algorithm.version,
        },
      ],
      RecommendedDisplayCIELabValue: dcmjs.data.Colors.rgb82DICOMLAB(segment.colour),
    });
  }
  if (frames.length === 0) {
    throw new DicomError(
      'bad-mask',
      `every segment is empty (${empty.join(', ')}); there is nothing to store in a DICOM SEG`,
    );
  }
  const overlapping = masksOverlap(input.segments.map((s) => s.mask));

  // BINARY pixel data: one bit per pixel, least significant bit first, frames packed back to back (PS3.5 8.1.1).
  const pixelBytes = Math.ceil((frames.length * sliceSize) / 8);
  const pixels = new Uint8Array(pixelBytes + (pixelBytes % 2));
  frames.forEach((frame, f) => {
    const { box, data } = frame.mask;
    const [bx, by] = boxSize(box);
    for (let j = box.lo[1], n = bx * by * (frame.k - box.lo[2]); j < box.hi[1]; j++) {
      const rowBit = f * sliceSize + columns * j;
      for (let i = box.lo[0]; i < box.hi[0]; i++, n++) {
        const bit = rowBit + i;
        if (data[n] !== 0) pixels[bit >> 3] = (pixels[bit >> 3] as number) | (1 << (bit & 7));
      }
    }
  });

  const uid = () => dcmjs.data.DicomMetaDictionary.uid();
  const sopInstanceUID = uid();
  const seriesInstanceUID = uid();
  const dimensionOrganizationUID = uid();
  const date = dicomDate(now);
  const time = dicomTime(now);
  const [rowSpacing, colSpacing] = [plan.spacing[1], plan.spacing[0]];
  const orientation = [0, 3, 6, 1, 4, 7].map((n) => ds(plan.direction[n] as number));

  const copied: NaturalDataset = {};
  for (const key of COPIED_FROM_SOURCE) if (source[key] !== undefined) copied[key] = source[key];
  const dataset: NaturalDataset = {
    ...copied,
    SpecificCharacterSet: source.SpecificCharacterSet ?? 'ISO_IR 192',
    SOPClassUID: SOP_CLASS.segmentation,
    SOPInstanceUID: sopInstanceUID,
    Modality: 'SEG',
    SeriesInstanceUID: seriesInstanceUID,
    SeriesNumber: input.seriesNumber ?? 901,
    SeriesDescription:
      input.seriesDescription ?? `AI segmentation (${input.algorithm.id} ${input.algorithm.version})`,
    SeriesDate: date,
    SeriesTime: time,
    FrameOfReferenceUID: plan.frameOfReferenceUID,
    PositionReferenceIndicator: source.PositionReferenceIndicator ?? '',
    Manufacturer: 'contseg',
    ManufacturerModelName: input.algorithm.id,
    DeviceSerialNumber: input.algorithm.version,
    SoftwareVersions: input.algorithm.version,
    InstanceNumber: 1,
    ContentDate: date,
    ContentTime: time,
    ContentLabel: (input.contentLabel ?? 'AI_SEGMENTATION')
      .toUpperCase()
      .replace(/[^A-Z0-9_ ]/g, '_')
      .slice(0, 16),
    ContentDescription: input.contentDescription ?? 'Automatic organ and tumour segmentation',
    ContentCreatorName: input.contentCreatorName ?? 'contseg^AI',
    ImageType: ['DERIVED', 'PRIMARY'],
    SegmentationType: 'BINARY',
    SegmentsOverlap: overlapping ? 'YES' : 'NO',
    SegmentSequence: segmentItems,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    NumberOfFrames: frames.length,
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUID }],
    DimensionIndexSequence: [
      {
        DimensionIndexPointer: TAG_REFERENCED_SEGMENT_NUMBER,
        FunctionalGroupPointer: TAG_SEGMENT_IDENTIFICATION_SEQUENCE,
        DimensionOrganizationUID: dimensionOrganizationUID,
        DimensionDescriptionLabel: 'Segment Number',
      },
      {
        DimensionIndexPointer: TAG_IMAGE_POSITION_PATIENT,
        FunctionalGroupPointer: TAG_PLANE_POSITION_SEQUENCE,
        DimensionOrganizationUID: dimensionOrganizationUID,
        DimensionDescriptionLabel: 'Image Position Patient',
      },
    ],
    SharedFunctionalGroupsSequence: [
      {
        PixelMeasuresSequence: [
          { PixelSpacing: [ds(rowSpacing), ds(colSpacing)], SliceThickness: ds(plan.spacing[2]) },
        ],
        PlaneOrientationSequence: [{ ImageOrientationPatient: orientation }],
      },
    ],
    ReferencedSeriesSequence: [
      {
        SeriesInstanceUID: plan.seriesInstanceUID,
        ReferencedInstanceSequence: plan.slices.map((s) => ({
          ReferencedSOPClassUID: s.sopClassUID,
          ReferencedSOPInstanceUID: s.sopInstanceUID,
        })),
      },
    ],
  };

  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SOP_CLASS.segmentation,
    MediaStorageSOPInstanceUID: sopInstanceUID,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '2.25.80302813137786398554742050926734630921',
    ImplementationVersionName: 'contseg',
  };
  const file = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  file.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  // The two last elements in tag order, the frames and the pixels, are appended encoded here (explicit-vr.ts).
  const last = Object.keys(file.dict).sort().pop() as string;
  if (parseInt(last, 16) >= TAG_PER_FRAME_GROUPS)
    throw new Error(`SEG element ${last} sorts after the frames`);
  const bulk = new ExplicitVrWriter();
  try {
    writePerFrameGroups(bulk, frames, plan);
  } catch (e) {
    // The writer's refusals are RangeErrors; of what it is given here only the source slices' UIDs are not ours.
    if (!(e instanceof RangeError)) throw e;
    throw new DicomError(
      'bad-attribute',
      `a source slice cannot be referenced from the SEG: ${(e as Error).message}; correct the series' UIDs in the PACS, then segment again`,
    );
  }
  bulk.otherBytes(TAG_PIXEL_DATA, pixels);
  return {
    bytes: concatBytes(new Uint8Array(file.write()), bulk.bytes()),
    sopInstanceUID,
    seriesInstanceUID,
    studyInstanceUID: plan.studyInstanceUID,
    written,
    empty,
    overlapping,
  };
}
