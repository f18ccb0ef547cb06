/**
 * Sliding-window inference with Gaussian blending, numerically the scheme of MONAI `sliding_window_inference`
 * (mode 'gaussian' or 'constant', padding_mode 'constant' 0 or 'replicate'): same window starts, same importance map, same normalisation
 * Σ w·y / Σ w. Windows are visited slab by slab along z so that only one window-deep slab of accumulators is
 * held: memory is (channels + 1) x patch_z x Y x X floats, not the whole volume. Blending is linear in the voxels
 * of the outputs with no allocation per window, so its cost per class is one multiply-add per output value.
 *
 * Tensor layout at the predictor boundary follows PyTorch/MONAI on a RAS array indexed [x][y][z]:
 * patches are [B, 1, Px, Py, Pz] and outputs [B, C, Px, Py, Pz], the LAST axis (z) fastest. The image given to
 * `slidingWindow` is indexed x fastest, like a Volume.
 */

export type Vec3 = [number, number, number];

export interface SlidingWindowSpec {
  patch: Vec3;
  /** Fraction of a window shared with its neighbour, in [0, 1). */
  overlap: number;
  /** Windows per predictor call. */
  batch: number;
  /** MONAI blend mode: 'gaussian' (default) or 'constant' (plain average). */
  blend?: 'gaussian' | 'constant';
  /** Gaussian sigma as a fraction of the patch size (MONAI's default 0.125). */
  sigmaScale?: number;
  /**
   * How a volume smaller than the patch is padded to it: 'constant' 0 (default) or 'replicate' (the edge voxels
   * repeated, MONAI padding_mode 'replicate'), which lets a model trained on whole volumes read a thin series.
   */
  padding?: 'constant' | 'replicate';
}

/** Maps `count` patches [count,1,Px,Py,Pz] to outputs [count,C,Px,Py,Pz] (both z fastest). */
export type PatchPredictor = (patches: Float32Array, count: number) => Promise<Float32Array>;

/**
 * Receives finished, normalised slices of one channel: `values` is [depth][Y][X] (x fastest) for image slices
 * z0 .. z0+depth-1 of `channel`. Slabs arrive in increasing z, each slice of each channel exactly once. `values` is
 * reused for the next call: copy what must outlive this one.
 */
export type SlabSink = (z0: number, depth: number, channel: number, values: Float32Array) => void;

export interface WindowHooks {
  signal?: AbortSignal;
  onWindows?: (done: number, total: number) => void;
}

/** Window start positions along one axis (MONAI `dense_patch_slices`; the last window is flush with the end). */
export function windowStarts(size: number, patch: number, overlap: number): number[] {
  const interval = patch === size ? patch : Math.max(1, Math.trunc(patch * (1 - overlap)));
  const starts: number[] = [];
  for (let i = 0; ; i++) {
    const start = i * interval;
    starts.push(start - Math.max(start + patch - size, 0));
    if (start + patch >= size) return starts;
  }
}

/** MONAI `compute_importance_map(patch, 'gaussian', sigma_scale)`: [Px][Py][Pz] (z fastest), in float32 steps. */
export function gaussianImportanceMap(patch: Vec3, sigmaScale = 0.125): Float32Array {
  const f = Math.fround;
  const profiles = patch.map((p) => {
    const sigma = f(p * sigmaScale);
    const denominator = f(-2 * f(sigma * sigma));
    return Float32Array.from({ length: p }, (_, i) => {
      const x = f(i - (p - 1) / 2);
      return f(Math.exp(f(f(x * x) / denominator)));
    });
  }) as [Float32Array, Float32Array, Float32Array];
  const map = new Float32Array(patch[0] * patch[1] * patch[2]);
  let n = 0;
  let min = Infinity;
  for (const gx of profiles[0]) {
    for (const gy of profiles[1]) {
      const gxy = f(gx * gy);
      for (const gz of profiles[2]) {
        const v = f(gxy * gz);
        map[n++] = v;
        if (v < min) min = v;
      }
    }
  }
  const floor = Math.max(min, 1e-3);
  for (let i = 0; i < map.length; i++) if ((map[i] as number) < floor) map[i] = floor;
  return map;
}

/**
 * Runs `predictor` over every window of `image` (dims [X,Y,Z], x fastest; padded to at least the patch as
 * `spec.padding` says, half before and half after like MONAI) and streams the blended `channels`-channel output to `sink`.
 */
export async function slidingWindow(
  image: Float32Array,
  dims: Vec3,
  channels: number,
  predictor: PatchPredictor,
  spec: SlidingWindowSpec,
  sink: SlabSink,
  hooks: WindowHooks = {},
): Promise<void> {
  const [px, py, pz] = spec.patch;
  const patchVoxels = px * py * pz;
  const padLo = dims.map((d, r) => Math.floor(Math.max((spec.patch[r] as number) - d, 0) / 2)) as Vec3;
  const padded = dims.map((d, r) => Math.max(d, spec.patch[r] as number)) as Vec3;
  const [X, Y] = padded;
  const starts = padded.map((size, r) => windowStarts(size, spec.patch[r] as number, spec.overlap)) as [
    number[],
    number[],
    number[],
  ];
  const windows: Vec3[] = [];
  for (const z of starts[2]) for (const y of starts[1]) for (const x of starts[0]) windows.push([x, y, z]);
  const importance =
    spec.blend === 'constant'
      ? new Float32Array(patchVoxels).fill(1)
      : gaussianImportanceMap(spec.patch, spec.sigmaScale);

  // Accumulators of one slab of windows (all windows starting at slice slabZ), laid out [channel][x][y][z] with z
  // fastest like the predictor's output, so that blending a window reads and writes contiguous runs of pz values.
  const columns = X * Y;
  const slabVoxels = columns * pz;
  const acc = new Float32Array(channels * slabVoxels);
  const weight = new Float32Array(slabVoxels);
  let slabZ = windows[0]?.[2] ?? 0;
  // One channel of one emitted slab (at most pz slices of the image plane), reused for every emit.
  const slabOut = new Float32Array(Math.min(pz, dims[2]) * dims[0] * dims[1]);

  const emit = (depth: number) => {
    // Image slices covered by buffer slices [0, depth), after removing the padding.
    const z0 = Math.max(slabZ - padLo[2], 0);
    const z1 = Math.min(slabZ + depth - padLo[2], dims[2]);
    if (z1 <= z0) return;
    const [dx, dy] = dims;
    const plane = dx * dy;
    const zb0 = z0 + padLo[2] - slabZ;
    const out = slabOut.subarray(0, (z1 - z0) * plane);
    for (let c = 0; c < channels; c++) {
      normaliseSlab(out, acc, c * slabVoxels, weight, [dx, dy, z1 - z0], padLo, Y, pz, zb0);
      sink(z0, z1 - z0, c, out);
    }
  };
  /** Moves the accumulators to the slab starting at `nextZ`: each column drops its first slices, zeros its last. */
  const advance = (nextZ: number) => {
    const shift = Math.min(nextZ - slabZ, pz);
    for (let c = -1; c < channels; c++) {
      const target = c < 0 ? weight : acc;
      const base = c < 0 ? 0 : c * slabVoxels;
      for (let col = base; col < base + slabVoxels; col += pz) {
        for (let k = 0; k < pz - shift; k++) target[col + k] = target[col + k + shift] as number;
        for (let k = pz - shift; k < pz; k++) target[col + k] = 0;
      }
    }
    slabZ = nextZ;
  };

  // Two input buffers: the next batch runs (on the GPU, where the predictor leaves the thread free) while this
  // one is blended; a buffer is refilled only after the run that read it has settled.
  const inputs = [0, 1].map(() => new Float32Array(spec.batch * patchVoxels)) as [Float32Array, Float32Array];
  const start = (first: number): Promise<Float32Array> => {
    const input = inputs[(first / spec.batch) % 2] as Float32Array;
    const batch = windows.slice(first, first + spec.batch);
    batch.forEach((origin, b) =>
      extractPatch(
        image,
        dims,
        padLo,
        origin,
        spec.patch,
        spec.padding === 'replicate',
        input,
        b * patchVoxels,
      ),
    );
    return predictor(input.subarray(0, batch.length * patchVoxels), batch.length);
  };
  let pending = windows.length > 0 ? start(0) : undefined;
  for (let first = 0; first < windows.length; first += spec.batch) {
    // A macrotask break per batch: a cancel message (worker) or abort event gets through even when the
    // predictor resolves without ever leaving the microtask queue.
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Only one predictor call is ever in flight, and none once this throws (the caller may release the sessions).
    const output = await (pending as Promise<Float32Array>);
    hooks.signal?.throwIfAborted();
    const batch = windows.slice(first, first + spec.batch);
    if (output.length !== batch.length * channels * patchVoxels) {
      throw new Error(
        `predictor returned ${output.length} values, expected ${batch.length} x ${channels} x ${patchVoxels}`,
      );
    }
    pending = first + spec.batch < windows.length ? start(first + spec.batch) : undefined;
    // The next batch's run may fail while this one is blended: it is awaited (and throws) in the next iteration.
    pending?.catch(() => undefined);
    batch.forEach(([sx, sy], b) => {
      // Every window of a slab starts at slice slabZ (windows are ordered by z start), so a window's column
      // (x, y) is acc's column (sx + x, sy + y) from its slice 0.
      const at = (sx * Y + sy) * pz;
      accumulateWindow(weight, at, importance, undefined, 0, Y, spec.patch);
      for (let c = 0; c < channels; c++) {
        const src = (b * channels + c) * patchVoxels;
        accumulateWindow(acc, c * slabVoxels + at, importance, output, src, Y, spec.patch);
      }
      const next = windows[first + b + 1];
      if (next === undefined) emit(pz);
      else if (next[2] !== slabZ) {
        emit(next[2] - slabZ);
        advance(next[2]);
      }
    });
    hooks.onWindows?.(first + batch.length, windows.length);
  }
}

/**
 * Adds one window to accumulators laid out [x][y][z] (columns of `pz` floats, `Y` columns per x): target[at + column
 * (x, y) + z] += w * v, with w the importance of the window voxel and v its value in `values` from `src` (the
 * weights themselves without `values`). A top-level function of local typed arrays, so the engine compiles its
 * inner loop to straight-line float arithmetic.
 */
function accumulateWindow(
  target: Float32Array,
  at: number,
  importance: Float32Array,
  values: Float32Array | undefined,
  src: number,
  Y: number,
  [px, py, pz]: Vec3,
): void {
  let n = 0;
  for (let x = 0; x < px; x++) {
    for (let y = 0; y < py; y++, n += pz) {
      const col = at + (x * Y + y) * pz;
      if (values) {
        for (let z = 0; z < pz; z++) {
          target[col + z] =
            (target[col + z] as number) + (importance[n + z] as number) * (values[src + n + z] as number);
        }
      } else {
        for (let z = 0; z < pz; z++)
          target[col + z] = (target[col + z] as number) + (importance[n + z] as number);
      }
    }
  }
}

/**
 * out[k][y][x] (x fastest, `dims` = [dx, dy, depth]) = acc[accBase + column (x + padLo x, y + padLo y) + zb0 + k] /
 * weight[same column and slice], from accumulators laid out [x][y][z] (columns of `pz`, `Y` columns per x). Reads
 * run along each column; the `depth` output rows a column writes stay in cache for the next x.
 */
function normaliseSlab(
  out: Float32Array,
  acc: Float32Array,
  accBase: number,
  weight: Float32Array,
  [dx, dy, depth]: Vec3,
  padLo: Vec3,
  Y: number,
  pz: number,
  zb0: number,
): void {
  const plane = dx * dy;
  for (let y = 0; y < dy; y++) {
    for (let x = 0; x < dx; x++) {
      const col = ((x + padLo[0]) * Y + y + padLo[1]) * pz + zb0;
      for (let k = 0, o = y * dx + x; k < depth; k++, o += plane) {
        out[o] = (acc[accBase + col + k] as number) / (weight[col + k] as number);
      }
    }
  }
}

/**
 * Copies one window (padded coordinates `start`) into `out` at `offset` as [Px][Py][Pz]; outside the image, zero or
 * (`replicate`) the nearest edge voxel. Windows never leave the padded volume, so clamping is exactly edge padding.
 */
function extractPatch(
  image: Float32Array,
  dims: Vec3,
  padLo: Vec3,
  start: Vec3,
  patch: Vec3,
  replicate: boolean,
  out: Float32Array,
  offset: number,
) {
  const [px, py, pz] = patch;
  const [dx, dy, dz] = dims;
  const clamp = (i: number, d: number) => (i < 0 ? 0 : i >= d ? d - 1 : i);
  let n = offset;
  for (let x = 0; x < px; x++) {
    const rx = start[0] + x - padLo[0];
    const ix = replicate ? clamp(rx, dx) : rx;
    for (let y = 0; y < py; y++) {
      const ry = start[1] + y - padLo[1];
      const iy = replicate ? clamp(ry, dy) : ry;
      const inside = ix >= 0 && ix < dx && iy >= 0 && iy < dy;
      for (let z = 0; z < pz; z++, n++) {
        const rz = start[2] + z - padLo[2];
        const iz = replicate ? clamp(rz, dz) : rz;
        out[n] = inside && iz >= 0 && iz < dz ? (image[ix + dx * (iy + dy * iz)] as number) : 0;
      }
    }
  }
}
