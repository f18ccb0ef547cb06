import { EngineError } from './errors.ts';

/**
 * A CT volume as the engine receives it.
 *
 * Voxel (i, j, k) is stored at `voxels[i + dims[0] * (j + dims[1] * k)]` (i fastest), in Hounsfield units.
 * Geometry follows DICOM and ITK: the patient-space (LPS, millimetres) centre of voxel (i, j, k) is
 *
 *   p = origin + D · diag(spacing) · [i, j, k]ᵀ
 *
 * where D is the 3x3 matrix stored row-major in `direction` (`direction[3 * row + col]`) whose COLUMNS are the
 * unit directions of the i, j and k axes in LPS. For a DICOM series: column 0 = ImageOrientationPatient[0..2]
 * (along a row, increasing column index), column 1 = ImageOrientationPatient[3..5], column 2 = the direction in
 * which the sorted slices advance; `origin` = ImagePositionPatient of the first slice; `spacing` =
 * [PixelSpacing[1] (column spacing), PixelSpacing[0] (row spacing), slice distance].
 */
export interface Volume {
  voxels: Int16Array | Float32Array;
  dims: [number, number, number];
  spacing: [number, number, number];
  origin: [number, number, number];
  direction: number[];
  modality: string;
}

/** The largest volume accepted: 2^28 voxels, e.g. a 512 x 512 matrix with 1024 slices (512 MiB as Int16). */
export const MAX_VOXELS = 512 * 512 * 1024;

/** Direction columns must be unit length and mutually orthogonal to within this tolerance. */
const DIRECTION_TOLERANCE = 1e-3;

/** Column `c` of the direction matrix (the LPS direction of voxel axis c). */
export function directionColumn(direction: readonly number[], c: number): [number, number, number] {
  return [direction[c] ?? NaN, direction[3 + c] ?? NaN, direction[6 + c] ?? NaN];
}

/**
 * Throws an EngineError naming the first problem found: not CT, bad dims or voxel count, over MAX_VOXELS,
 * non-positive spacing, a direction matrix that is not orthonormal (sheared, e.g. gantry tilt), NaN/Inf voxels,
 * intensities that are not Hounsfield units (no air, or nothing at 0 HU or above: an MR tagged CT).
 */
export function validateVolume(volume: Volume): void {
  if (volume.modality !== 'CT') {
    throw new EngineError(
      'not-ct',
      `the engine segments CT only; this series has modality "${volume.modality}"`,
    );
  }
  const { dims } = volume;
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new EngineError('bad-dims', `dims must be three positive integers, got [${dims.join(', ')}]`);
  }
  const count = dims[0] * dims[1] * dims[2];
  if (count > MAX_VOXELS) {
    throw new EngineError(
      'too-big',
      `volume has ${count} voxels (${dims.join(' x ')}); the limit is ${MAX_VOXELS} (512 x 512 x 1024)`,
    );
  }
  if (volume.voxels.length !== count) {
    throw new EngineError(
      'bad-dims',
      `dims ${dims.join(' x ')} need ${count} voxels but the voxel array holds ${volume.voxels.length}`,
    );
  }
  if (volume.spacing.length !== 3 || !volume.spacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new EngineError(
      'bad-spacing',
      `spacing must be three positive millimetre values, got [${volume.spacing}]`,
    );
  }
  if (volume.origin.length !== 3 || !volume.origin.every(Number.isFinite)) {
    throw new EngineError('bad-direction', `origin must be three finite numbers, got [${volume.origin}]`);
  }
  validateDirection(volume.direction);
  checkHounsfieldRange(volume);
}

/**
 * A CT in Hounsfield units holds air (about -1000 HU) and soft tissue (0 HU and above): a volume with no voxel at or
 * below this, or none at or above 0, is not CT (an MR series or a normalised image), whatever its modality tag says.
 * The same rule as contseg.data.check_ct.
 */
export const MAX_AIR_HU = -500;

/** Scans every voxel once: non-finite values (Float32Array) and an intensity range that cannot be CT. */
function checkHounsfieldRange({ voxels, dims }: Volume): void {
  let low = Infinity;
  let high = -Infinity;
  for (let n = 0; n < voxels.length; n++) {
    const v = voxels[n] as number;
    if (!Number.isFinite(v)) {
      const i = n % dims[0];
      const j = Math.floor(n / dims[0]) % dims[1];
      const k = Math.floor(n / (dims[0] * dims[1]));
      throw new EngineError('non-finite-voxel', `voxel (${i}, ${j}, ${k}) is ${v}; CT values must be finite`);
    }
    if (v < low) low = v;
    if (v > high) high = v;
  }
  if (low > MAX_AIR_HU || high < 0) {
    throw new EngineError(
      'not-ct',
      `intensities ${Math.round(low)}..${Math.round(high)} do not look like CT Hounsfield units (no air below ` +
        `${MAX_AIR_HU} HU, or nothing at or above 0 HU); is this an MR or an already normalised image?`,
    );
  }
}

function validateDirection(direction: readonly number[]): void {
  if (direction.length !== 9 || !direction.every(Number.isFinite)) {
    throw new EngineError(
      'bad-direction',
      `direction must be 9 finite numbers (3x3 row-major), got ${direction.length}`,
    );
  }
  const cols = [0, 1, 2].map((c) => directionColumn(direction, c));
  const dot = (a: number[], b: number[]) =>
    (a[0] ?? 0) * (b[0] ?? 0) + (a[1] ?? 0) * (b[1] ?? 0) + (a[2] ?? 0) * (b[2] ?? 0);
  for (let c = 0; c < 3; c++) {
    const col = cols[c] as number[];
    if (Math.abs(Math.sqrt(dot(col, col)) - 1) > DIRECTION_TOLERANCE) {
      throw new EngineError('bad-direction', `direction column ${c} [${col}] is not a unit vector`);
    }
  }
  for (const [a, b] of [
    [0, 1],
    [0, 2],
    [1, 2],
  ] as const) {
    const cos = dot(cols[a] as number[], cols[b] as number[]);
    if (Math.abs(cos) > DIRECTION_TOLERANCE) {
      const degrees = (Math.acos(Math.max(-1, Math.min(1, cos))) * 180) / Math.PI;
      throw new EngineError(
        'bad-direction',
        `voxel axes ${a} and ${b} meet at ${degrees.toFixed(2)} degrees, not 90: the volume is sheared ` +
          `(e.g. gantry tilt); resample it to an orthogonal grid first`,
      );
    }
  }
}
