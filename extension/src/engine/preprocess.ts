import { boxedToGrid, boxVoxels, emptyBoxed, nonZeroBox, type Box, type BoxedBytes } from './boxed.ts';
import { directionColumn, type Volume } from './volume.ts';

/** How the input's voxel axes become RAS axes: RAS axis r reads input axis `inputAxis[r]`, reversed if `flip[r]`. */
export interface AxisMap {
  inputAxis: [number, number, number];
  flip: [boolean, boolean, boolean];
}

/** What the model was trained on (manifest `preprocess`). */
export interface PreprocessSpec {
  /** Target voxel spacing in mm along R, A, S. */
  spacing: [number, number, number];
  /** Hounsfield window [low, high] mapped linearly to [0, 1] with clipping. */
  window: [number, number];
  /** Crop to the bounding box of windowed values above `threshold`; default enabled with threshold 0. */
  foregroundCrop?: { enabled: boolean; threshold: number };
}

/**
 * The model-space image: the input reoriented to RAS, resampled to `spec.spacing`, windowed to [0, 1] and cropped
 * to the foreground (voxels > 0). `image` is indexed x fastest on `dims` (= box size); the box is on `gridDims`,
 * the full resampled RAS grid. Everything needed to map model-space masks back to the input grid is kept.
 */
export interface ModelSpaceImage {
  image: Float32Array;
  dims: [number, number, number];
  box: Box;
  gridDims: [number, number, number];
  axisMap: AxisMap;
  /** Input spacing along the RAS axes. */
  rasSpacing: [number, number, number];
  modelSpacing: [number, number, number];
}

export interface ChunkHooks {
  signal?: AbortSignal;
  /** Called after each chunk of output slices with (done, total) slices. */
  onChunk?: (done: number, total: number) => void;
}

/** Voxels resampled between event-loop yields (checks for cancellation, progress). */
const CHUNK_VOXELS = 1 << 21;

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * The exact axis permutation and flips that bring the input to RAS, chosen like MONAI's `Orientation`
 * (nibabel `io_orientation`): each input axis goes to the RAS axis its direction is closest to, assigning the
 * largest |cosine| first. No interpolation; oblique (but orthogonal) volumes go to their nearest RAS axes.
 */
export function rasAxisMap(direction: readonly number[]): AxisMap {
  // Cosine between input axis d and RAS axis r: LPS -> RAS negates x and y.
  const cos = [0, 1, 2].map((d) => {
    const [x, y, z] = directionColumn(direction, d);
    return [-x, -y, z];
  });
  const inputAxis: [number, number, number] = [-1, -1, -1];
  const flip: [boolean, boolean, boolean] = [false, false, false];
  const usedInput = new Set<number>();
  for (let step = 0; step < 3; step++) {
    let best = { d: -1, r: -1, magnitude: -1 };
    for (let d = 0; d < 3; d++) {
      if (usedInput.has(d)) continue;
      for (let r = 0; r < 3; r++) {
        const magnitude = Math.abs(cos[d]?.[r] ?? 0);
        if (inputAxis[r] === -1 && magnitude > best.magnitude) best = { d, r, magnitude };
      }
    }
    usedInput.add(best.d);
    inputAxis[best.r] = best.d;
    flip[best.r] = (cos[best.d]?.[best.r] ?? 0) < 0;
  }
  return { inputAxis, flip };
}

/** Strided read access to the input as if it were stored in RAS order: offset = base + Σ index[r] * strides[r]. */
interface RasView {
  dims: [number, number, number];
  spacing: [number, number, number];
  base: number;
  strides: [number, number, number];
}

function rasView(volume: Volume, map: AxisMap): RasView {
  const inputStrides = [1, volume.dims[0], volume.dims[0] * volume.dims[1]];
  const dims = [0, 0, 0] as [number, number, number];
  const spacing = [0, 0, 0] as [number, number, number];
  const strides = [0, 0, 0] as [number, number, number];
  let base = 0;
  for (let r = 0; r < 3; r++) {
    const d = map.inputAxis[r] as number;
    dims[r] = volume.dims[d] as number;
    spacing[r] = volume.spacing[d] as number;
    const stride = inputStrides[d] as number;
    strides[r] = map.flip[r] ? -stride : stride;
    if (map.flip[r]) base += ((dims[r] as number) - 1) * stride;
  }
  return { dims, spacing, base, strides };
}

/** The input volume copied into RAS order (same voxel type), with geometry describing the same patient space. */
export function reorientToRas(volume: Volume): Volume {
  const map = rasAxisMap(volume.direction);
  const view = rasView(volume, map);
  const [nx, ny, nz] = view.dims;
  const voxels = new (volume.voxels.constructor as typeof Float32Array | typeof Int16Array)(nx * ny * nz);
  let n = 0;
  for (let c = 0; c < nz; c++) {
    for (let b = 0; b < ny; b++) {
      let offset = view.base + b * view.strides[1] + c * view.strides[2];
      for (let a = 0; a < nx; a++, offset += view.strides[0]) voxels[n++] = volume.voxels[offset] as number;
    }
  }
  const direction = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) {
    const column = directionColumn(volume.direction, map.inputAxis[r] as number);
    const sign = map.flip[r] ? -1 : 1;
    // `+ 0` turns -0 into 0.
    for (let row = 0; row < 3; row++) direction[3 * row + r] = sign * (column[row] as number) + 0;
  }
  // Patient position of RAS voxel (0,0,0): the input voxel at the far end of every flipped axis.
  const origin = [...volume.origin] as [number, number, number];
  for (let r = 0; r < 3; r++) {
    if (!map.flip[r]) continue;
    const d = map.inputAxis[r] as number;
    const column = directionColumn(volume.direction, d);
    const length = ((volume.dims[d] as number) - 1) * (volume.spacing[d] as number);
    for (let row = 0; row < 3; row++)
      origin[row] = (origin[row] as number) + (column[row] as number) * length;
  }
  return { voxels, dims: view.dims, spacing: view.spacing, origin, direction, modality: volume.modality };
}

/** Inverse of the RAS permutation: values stored in RAS order (dims of `reorientToRas(volume)`) onto the input grid. */
export function reorientFromRas<T extends Uint8Array | Int16Array | Float32Array>(ras: T, volume: Volume): T {
  const view = rasView(volume, rasAxisMap(volume.direction));
  const [nx, ny, nz] = view.dims;
  const out = new (ras.constructor as new (length: number) => T)(ras.length);
  let n = 0;
  for (let c = 0; c < nz; c++) {
    for (let b = 0; b < ny; b++) {
      let offset = view.base + b * view.strides[1] + c * view.strides[2];
      for (let a = 0; a < nx; a++, offset += view.strides[0]) out[offset] = ras[n++] as number;
    }
  }
  return out;
}

/** Output size along one axis like MONAI `Spacing` (voxel centres kept, first centre fixed): round((n-1)·s/s' + 1). */
export function resampledSize(size: number, spacing: number, target: number): number {
  return Math.max(1, Math.round(((size - 1) * spacing) / target + 1));
}

/** Per output index along one axis: the two input indices and the weight of the second (border-clamped). */
function linearTaps(size: number, spacing: number, target: number, outSize: number) {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const t = Math.min(Math.max((o * target) / spacing, 0), size - 1);
    const lo = Math.min(Math.floor(t), size - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, size - 1);
    w[o] = t - lo;
  }
  return { i0, i1, w };
}

/**
 * The full pre-processing: RAS reorientation (exact, as strides), trilinear resampling of Hounsfield units to
 * `spec.spacing` (border values beyond the last voxel centre), window to [0, 1], then crop to the bounding box
 * of voxels above the foreground threshold (0: MONAI CropForeground with `x > 0`). Runs in chunks of slices so that cancellation and progress get through.
 */
export async function toModelSpace(
  volume: Volume,
  spec: PreprocessSpec,
  hooks: ChunkHooks = {},
): Promise<ModelSpaceImage> {
  const axisMap = rasAxisMap(volume.direction);
  const view = rasView(volume, axisMap);
  const gridDims = [0, 1, 2].map((r) =>
    resampledSize(view.dims[r] as number, view.spacing[r] as number, spec.spacing[r] as number),
  ) as [number, number, number];
  const taps = [0, 1, 2].map((r) =>
    linearTaps(
      view.dims[r] as number,
      view.spacing[r] as number,
      spec.spacing[r] as number,
      gridDims[r] as number,
    ),
  );
  const [tx, ty, tz] = taps as [
    ReturnType<typeof linearTaps>,
    ReturnType<typeof linearTaps>,
    ReturnType<typeof linearTaps>,
  ];
  const [gx, gy, gz] = gridDims;
  const [sx, sy, sz] = view.strides;
  const [low, high] = spec.window;
  const scale = 1 / (high - low);
  const src = volume.voxels;
  const out = new Float32Array(gx * gy * gz);
  const lo: [number, number, number] = [gx, gy, gz];
  const hi: [number, number, number] = [0, 0, 0];
  const x0 = Int32Array.from(tx.i0, (i) => i * sx);
  const x1 = Int32Array.from(tx.i1, (i) => i * sx);
  const crop = spec.foregroundCrop ?? { enabled: true, threshold: 0 };
  // With cropping disabled every voxel counts as foreground (-Infinity < any value).
  const foreground = crop.enabled ? crop.threshold : -Infinity;
  const slicesPerChunk = Math.max(1, Math.floor(CHUNK_VOXELS / (gx * gy)));
  let n = 0;
  for (let c = 0; c < gz; c++) {
    const z0 = view.base + (tz.i0[c] as number) * sz;
    const z1 = view.base + (tz.i1[c] as number) * sz;
    const wz = tz.w[c] as number;
    for (let b = 0; b < gy; b++) {
      const y0 = (ty.i0[b] as number) * sy;
      const y1 = (ty.i1[b] as number) * sy;
      const wy = ty.w[b] as number;
      const o00 = z0 + y0;
      const o01 = z0 + y1;
      const o10 = z1 + y0;
      const o11 = z1 + y1;
      for (let a = 0; a < gx; a++, n++) {
        const xa = x0[a] as number;
        const xb = x1[a] as number;
        const wx = tx.w[a] as number;
        const c00 = (src[o00 + xa] as number) + wx * ((src[o00 + xb] as number) - (src[o00 + xa] as number));
        const c01 = (src[o01 + xa] as number) + wx * ((src[o01 + xb] as number) - (src[o01 + xa] as number));
        const c10 = (src[o10 + xa] as number) + wx * ((src[o10 + xb] as number) - (src[o10 + xa] as number));
        const c11 = (src[o11 + xa] as number) + wx * ((src[o11 + xb] as number) - (src[o11 + xa] as number));
        const c0 = c00 + wy * (c01 - c00);
        const c1 = c10 + wy * (c11 - c10);
        const hu = c0 + wz * (c1 - c0);
        const v = Math.min(1, Math.max(0, (hu - low) * scale));
        out[n] = v;
        if (v > foreground) {
          if (a < lo[0]) lo[0] = a;
          if (a >= hi[0]) hi[0] = a + 1;
          if (b < lo[1]) lo[1] = b;
          if (b >= hi[1]) hi[1] = b + 1;
          if (c < lo[2]) lo[2] = c;
          if (c >= hi[2]) hi[2] = c + 1;
        }
      }
    }
    if ((c + 1) % slicesPerChunk === 0 || c === gz - 1) {
      hooks.onChunk?.(c + 1, gz);
      await yieldToEventLoop();
      hooks.signal?.throwIfAborted();
    }
  }
  const box: Box = hi[0] > 0 ? { lo, hi } : { lo: [0, 0, 0], hi: [0, 0, 0] };
  const dims = [0, 1, 2].map((r) => (box.hi[r] as number) - (box.lo[r] as number)) as [
    number,
    number,
    number,
  ];
  return {
    image: cropInPlace(out, gridDims, box),
    dims,
    box,
    gridDims,
    axisMap,
    rasSpacing: view.spacing,
    modelSpacing: [...spec.spacing],
  };
}

/** Moves the box's voxels to the front of `data` (each row moves to a lower or equal offset) and returns that view. */
function cropInPlace(data: Float32Array, dims: [number, number, number], box: Box): Float32Array {
  const [bx, by, bz] = [0, 1, 2].map((r) => (box.hi[r] as number) - (box.lo[r] as number)) as [
    number,
    number,
    number,
  ];
  let n = 0;
  for (let c = box.lo[2]; c < box.hi[2]; c++) {
    for (let b = box.lo[1]; b < box.hi[1]; b++) {
      const from = box.lo[0] + dims[0] * (b + dims[1] * c);
      data.copyWithin(n, from, from + bx);
      n += bx;
    }
  }
  return data.subarray(0, bx * by * bz);
}

/**
 * A model-space mask (on `space.dims`, x fastest) back onto the input grid by nearest neighbour: each input voxel
 * takes the model voxel whose centre is nearest to it (outside the foreground box: 0). Where the model spacing
 * equals the input spacing this is the exact inverse of the RAS permutation and crop.
 */
export function maskToInputGrid(mask: Uint8Array, space: ModelSpaceImage, volume: Volume): Uint8Array {
  return boxedToGrid(valuesToInputBox(mask, space, volume).boxed, volume.dims);
}

/** The input voxels that map into the bounding box of a model-space array's non-zero voxels. */
export interface InputPlacement {
  /** Their box on the input grid. */
  box: Box;
  /** Per input axis: the offset (in the cropped model array) of each input index, and the box's range on it. */
  axes: [AxisRange, AxisRange, AxisRange];
}

/**
 * Where the non-zero voxels of `values` (on `space.dims`) land on the input grid; undefined when none is. Nearest-
 * neighbour mapping is monotone per axis, so the input indices landing inside the model box are one range per axis.
 */
export function placeOnInputGrid(
  values: Uint8Array,
  space: ModelSpaceImage,
  volume: Volume,
): InputPlacement | undefined {
  const modelBox = nonZeroBox(values, space.dims);
  if (!modelBox) return undefined;
  const rasStrides = [1, space.dims[0], space.dims[0] * space.dims[1]];
  const axes = [0, 1, 2].map((d) => {
    const r = space.axisMap.inputAxis.indexOf(d);
    const size = volume.dims[d] as number;
    const ratio = (space.rasSpacing[r] as number) / (space.modelSpacing[r] as number);
    const offsets = new Int32Array(size);
    let from = size;
    let to = 0;
    for (let i = 0; i < size; i++) {
      const ras = space.axisMap.flip[r] ? size - 1 - i : i;
      const m = Math.round(ras * ratio) - (space.box.lo[r] as number);
      offsets[i] = m * (rasStrides[r] as number);
      if (m >= (modelBox.lo[r] as number) && m < (modelBox.hi[r] as number)) {
        from = Math.min(from, i);
        to = i + 1;
      }
    }
    return { offsets, from, to };
  }) as [AxisRange, AxisRange, AxisRange];
  if (axes.some((a) => a.from >= a.to)) return undefined;
  return { box: { lo: axes.map((a) => a.from) as Box['lo'], hi: axes.map((a) => a.to) as Box['hi'] }, axes };
}

/**
 * As maskToInputGrid, but held as the box of the input grid where the non-zero model voxels land (`placement`, from
 * placeOnInputGrid when not given), counting the non-zero voxels written: cost follows the structure's size, not the
 * volume's.
 */
export function valuesToInputBox(
  values: Uint8Array,
  space: ModelSpaceImage,
  volume: Volume,
  placement = placeOnInputGrid(values, space, volume),
): { boxed: BoxedBytes; nonZero: number } {
  if (!placement) return { boxed: emptyBoxed(), nonZero: 0 };
  const [ax, ay, az] = placement.axes;
  const data = new Uint8Array(boxVoxels(placement.box));
  let n = 0;
  let nonZero = 0;
  for (let k = az.from; k < az.to; k++) {
    const tk = az.offsets[k] as number;
    for (let j = ay.from; j < ay.to; j++) {
      const tkj = tk + (ay.offsets[j] as number);
      for (let i = ax.from; i < ax.to; i++, n++) {
        const v = values[tkj + (ax.offsets[i] as number)] as number;
        data[n] = v;
        if (v) nonZero++;
      }
    }
  }
  return { boxed: { box: placement.box, data }, nonZero };
}

interface AxisRange {
  offsets: Int32Array;
  from: number;
  to: number;
}
