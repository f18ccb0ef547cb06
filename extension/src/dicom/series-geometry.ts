// Decides whether a set of CT slices forms one regular volume, and if so its slice order and grid. Pure: no I/O.
import { DicomError } from './errors.ts';
import { SOP_CLASS, type SliceHeader } from './slice-header.ts';

type Vec3 = [number, number, number];

export interface GeometryTolerance {
  /** Largest allowed difference between direction cosines of two slices. */
  orientation: number;
  /** Largest allowed deviation of one slice gap from the median gap, as a fraction of the median. */
  spacingFraction: number;
  /** Largest allowed in-plane offset between consecutive slice origins (mm); more means a tilted/sheared stack. */
  shearMm: number;
}

export const DEFAULT_TOLERANCE: GeometryTolerance = {
  orientation: 1e-4,
  spacingFraction: 0.05,
  shearMm: 0.05,
};

/** A regular grid built from a series: the slices in volume order (k = 0 first) and the volume's geometry. */
export interface SeriesPlan {
  /** Slices sorted along the slice normal (increasing k); their index in this array is k. */
  slices: SliceHeader[];
  dims: Vec3;
  /** [column spacing, row spacing, slice distance] in mm. */
  spacing: Vec3;
  origin: Vec3;
  /** 3x3 row-major, columns = LPS directions of the i, j, k axes (see engine/volume.ts). */
  direction: number[];
  modality: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  frameOfReferenceUID: string | undefined;
}

const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const fmt = (x: number) => (Math.round(x * 1000) / 1000).toString();

function checkInstanceKind(s: SliceHeader): void {
  if (s.sopClassUID === SOP_CLASS.enhancedCt || s.sopClassUID === SOP_CLASS.legacyEnhancedCt) {
    throw new DicomError(
      'enhanced-multiframe',
      `instance ${s.sopInstanceUID} is an Enhanced CT multi-frame image; only classic single-frame CT series are ` +
        `supported yet`,
    );
  }
  if (s.modality !== 'CT') {
    throw new DicomError(
      'not-ct',
      `the series has modality "${s.modality || 'none'}"; only CT series can be segmented (HU intensities)`,
    );
  }
  if (s.numberOfFrames !== 1) {
    throw new DicomError(
      'multiframe',
      `instance ${s.sopInstanceUID} holds ${s.numberOfFrames} frames; only single-frame CT instances are supported`,
    );
  }
  if (s.samplesPerPixel !== 1 || !s.photometricInterpretation.startsWith('MONOCHROME')) {
    throw new DicomError(
      'not-monochrome',
      `instance ${s.sopInstanceUID} is ${s.photometricInterpretation} with ${s.samplesPerPixel} samples per pixel; ` +
        `CT must be MONOCHROME1/2 with one sample`,
    );
  }
}

function geometryOf(s: SliceHeader) {
  const missing = !s.imagePosition
    ? 'ImagePositionPatient (0020,0032)'
    : !s.imageOrientation
      ? 'ImageOrientationPatient (0020,0037)'
      : !s.pixelSpacing
        ? 'PixelSpacing (0028,0030)'
        : undefined;
  if (missing || !s.imagePosition || !s.imageOrientation || !s.pixelSpacing) {
    throw new DicomError(
      'missing-attribute',
      `instance ${s.sopInstanceUID} has no ${missing}; cannot place it`,
    );
  }
  return { position: s.imagePosition, orientation: s.imageOrientation, pixelSpacing: s.pixelSpacing };
}

/**
 * Sorts slices by position along the slice normal (never by InstanceNumber) and checks that they form one regular
 * grid. Throws DicomError naming the first problem: no slices, not CT, enhanced or multi-frame, mixed series,
 * mixed matrix/pixel spacing, mixed orientations, gantry tilt, duplicate or missing slices, uneven spacing.
 */
export function planSeries(slices: readonly SliceHeader[], tolerance = DEFAULT_TOLERANCE): SeriesPlan {
  const first = slices[0];
  if (!first) throw new DicomError('no-slices', 'the series has no image instances to build a volume from');
  for (const s of slices) checkInstanceKind(s);
  for (const s of slices) {
    if (s.seriesInstanceUID !== first.seriesInstanceUID) {
      throw new DicomError(
        'mixed-series',
        `instances from two series were given (${first.seriesInstanceUID} and ${s.seriesInstanceUID}); ` +
          `a volume is built from one series`,
      );
    }
  }
  if (slices.length < 2) {
    throw new DicomError('no-slices', 'the series has only one slice; a volume needs at least two');
  }
  const g0 = geometryOf(first);
  const row: Vec3 = [g0.orientation[0], g0.orientation[1], g0.orientation[2]];
  const col: Vec3 = [g0.orientation[3], g0.orientation[4], g0.orientation[5]];
  const normal = cross(row, col);
  if (Math.abs(dot(row, col)) > 1e-3 || Math.abs(dot(normal, normal) - 1) > 2e-3) {
    throw new DicomError(
      'mixed-orientation',
      `ImageOrientationPatient [${g0.orientation.join(', ')}] of ${first.sopInstanceUID} is not two orthogonal unit vectors`,
    );
  }
  for (const s of slices) {
    const g = geometryOf(s);
    if (s.rows !== first.rows || s.columns !== first.columns) {
      throw new DicomError(
        'mixed-geometry',
        `slices have different matrix sizes (${first.columns}x${first.rows} and ${s.columns}x${s.rows} in ` +
          `${s.sopInstanceUID})`,
      );
    }
    if (g.pixelSpacing.some((v, n) => Math.abs(v - (g0.pixelSpacing[n] as number)) > 1e-4)) {
      throw new DicomError(
        'mixed-geometry',
        `slices have different PixelSpacing ([${g0.pixelSpacing.join(', ')}] and [${g.pixelSpacing.join(', ')}] ` +
          `in ${s.sopInstanceUID})`,
      );
    }
    if (g.orientation.some((v, n) => Math.abs(v - (g0.orientation[n] as number)) > tolerance.orientation)) {
      throw new DicomError(
        'mixed-orientation',
        `slices have mixed orientations ([${g0.orientation.join(', ')}] and [${g.orientation.join(', ')}] in ` +
          `${s.sopInstanceUID}); a volume needs parallel slices`,
      );
    }
  }
  if (Math.abs(first.gantryTilt) > 1e-3) {
    throw new DicomError(
      'gantry-tilt',
      `the series was acquired with a gantry tilt of ${first.gantryTilt} degrees; tilted (sheared) series are not ` +
        `supported, reconstruct it without tilt`,
    );
  }

  const distance = (s: SliceHeader) => dot(s.imagePosition as Vec3, normal);
  const sorted = [...slices].sort((a, b) => distance(a) - distance(b));
  const gaps: number[] = [];
  for (let k = 1; k < sorted.length; k++) {
    const a = sorted[k - 1] as SliceHeader;
    const b = sorted[k] as SliceHeader;
    const gap = distance(b) - distance(a);
    if (gap < 1e-3) {
      throw new DicomError(
        'duplicate-slice',
        `instances ${a.sopInstanceUID} and ${b.sopInstanceUID} lie at the same position ` +
          `(${fmt(distance(a))} mm along the slice normal); the series has duplicate slices`,
      );
    }
    const pa = a.imagePosition as Vec3;
    const pb = b.imagePosition as Vec3;
    const step: Vec3 = [pb[0] - pa[0], pb[1] - pa[1], pb[2] - pa[2]];
    const inPlane = Math.hypot(dot(step, row), dot(step, col));
    if (inPlane > tolerance.shearMm) {
      throw new DicomError(
        'gantry-tilt',
        `consecutive slice origins move ${fmt(inPlane)} mm within the slice plane (between ${a.sopInstanceUID} and ` +
          `${b.sopInstanceUID}): the stack is sheared, as with gantry tilt; this is not supported`,
      );
    }
    gaps.push(gap);
  }
  const median = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)] as number;
  const smallest = Math.min(...gaps);
  gaps.forEach((gap, n) => {
    if (Math.abs(gap - median) <= tolerance.spacingFraction * median) return;
    const lower = sorted[n] as SliceHeader;
    const where = `after the slice at ${fmt(distance(lower))} mm (${lower.sopInstanceUID})`;
    const ratio = gap / smallest;
    if (Math.abs(ratio - Math.round(ratio)) <= tolerance.spacingFraction * Math.round(ratio) && ratio > 1.5) {
      throw new DicomError(
        'missing-slice',
        `the series is missing ${Math.round(ratio) - 1} slice(s): a gap of ${fmt(gap)} mm ${where} where the ` +
          `spacing is ${fmt(smallest)} mm; retrieve the complete series`,
      );
    }
    throw new DicomError(
      'uneven-spacing',
      `uneven slice spacing: a gap of ${fmt(gap)} mm ${where} where most gaps are ${fmt(median)} mm ` +
        `(tolerance ${tolerance.spacingFraction * 100}%)`,
    );
  });
  const sliceDistance = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const origin = (sorted[0] as SliceHeader).imagePosition as Vec3;
  return {
    slices: sorted,
    dims: [first.columns, first.rows, sorted.length],
    spacing: [g0.pixelSpacing[1], g0.pixelSpacing[0], sliceDistance],
    origin: [origin[0], origin[1], origin[2]],
    direction: [row[0], col[0], normal[0], row[1], col[1], normal[1], row[2], col[2], normal[2]],
    modality: first.modality,
    studyInstanceUID: first.studyInstanceUID,
    seriesInstanceUID: first.seriesInstanceUID,
    frameOfReferenceUID: first.frameOfReferenceUID,
  };
}
