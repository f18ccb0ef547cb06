// Per-class results held as the box of the grid they occupy: a structure fills a small part of a CT, so masks and
// probability maps cost bytes by the structure's size, not by the series' (13 classes of a 512 x 512 x 300 CT would
// need 1 GiB per byte per voxel and class as full grids).
/** Inclusive-exclusive voxel box [lo, hi) on a grid. */
export interface Box {
  lo: [number, number, number];
  hi: [number, number, number];
}

/** The bounding box [lo, hi) of the non-zero voxels of `values` on `dims` (x fastest); undefined when none is. */
export function nonZeroBox(values: Uint8Array, dims: readonly [number, number, number]): Box | undefined {
  const [nx, ny, nz] = dims;
  const lo: [number, number, number] = [nx, ny, nz];
  const hi: [number, number, number] = [0, 0, 0];
  for (let z = 0, row = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++, row += nx) {
      let x = 0;
      while (x < nx && !values[row + x]) x++;
      if (x === nx) continue;
      if (x < lo[0]) lo[0] = x;
      // From the right only as far as the box already reaches.
      let last = nx - 1;
      while (last > x && last >= hi[0] && !values[row + last]) last--;
      if (last >= hi[0]) hi[0] = last + 1;
      if (y < lo[1]) lo[1] = y;
      if (y >= hi[1]) hi[1] = y + 1;
      if (z < lo[2]) lo[2] = z;
      if (z >= hi[2]) hi[2] = z + 1;
    }
  }
  return hi[0] > 0 ? { lo, hi } : undefined;
}

/** One byte per voxel of `box` on a grid (i fastest, then j, then k, within the box); 0 everywhere outside it. */
export interface BoxedBytes {
  box: Box;
  data: Uint8Array;
}

/** The size of `box` along each axis. */
export function boxSize(box: Box): [number, number, number] {
  return [0, 1, 2].map((r) => Math.max(0, (box.hi[r] as number) - (box.lo[r] as number))) as [
    number,
    number,
    number,
  ];
}

/** Voxels in `box` (0 for an empty box). */
export function boxVoxels(box: Box): number {
  const [a, b, c] = boxSize(box);
  return a * b * c;
}

/** A boxed array that is 0 everywhere. */
export function emptyBoxed(): BoxedBytes {
  return { box: { lo: [0, 0, 0], hi: [0, 0, 0] }, data: new Uint8Array(0) };
}

/** The intersection of two boxes; undefined when they share no voxel. */
export function intersectBoxes(a: Box, b: Box): Box | undefined {
  const lo = [0, 1, 2].map((r) => Math.max(a.lo[r] as number, b.lo[r] as number)) as Box['lo'];
  const hi = [0, 1, 2].map((r) => Math.min(a.hi[r] as number, b.hi[r] as number)) as Box['hi'];
  return lo.every((v, r) => v < (hi[r] as number)) ? { lo, hi } : undefined;
}

/** The smallest box holding both (an empty box adds nothing). */
export function unionBoxes(a: Box, b: Box): Box {
  if (!boxVoxels(a)) return b;
  if (!boxVoxels(b)) return a;
  return {
    lo: [0, 1, 2].map((r) => Math.min(a.lo[r] as number, b.lo[r] as number)) as Box['lo'],
    hi: [0, 1, 2].map((r) => Math.max(a.hi[r] as number, b.hi[r] as number)) as Box['hi'],
  };
}

/** Offset in `boxed.data` of grid voxel (box.lo[0], j, k), the start of row (j, k); -1 when that row misses the box. */
export function rowStart(boxed: BoxedBytes, j: number, k: number): number {
  const { lo, hi } = boxed.box;
  if (j < lo[1] || j >= hi[1] || k < lo[2] || k >= hi[2] || lo[0] >= hi[0]) return -1;
  const [bx, by] = boxSize(boxed.box);
  return bx * (j - lo[1] + by * (k - lo[2]));
}

/** True when some voxel is non-zero in both (only where their boxes meet is looked at). */
export function boxedOverlap(a: BoxedBytes, b: BoxedBytes): boolean {
  const shared = intersectBoxes(a.box, b.box);
  if (!shared) return false;
  for (let k = shared.lo[2]; k < shared.hi[2]; k++) {
    for (let j = shared.lo[1]; j < shared.hi[1]; j++) {
      const rowA = rowStart(a, j, k) - a.box.lo[0];
      const rowB = rowStart(b, j, k) - b.box.lo[0];
      for (let i = shared.lo[0]; i < shared.hi[0]; i++) {
        if (a.data[rowA + i] !== 0 && b.data[rowB + i] !== 0) return true;
      }
    }
  }
  return false;
}

/** Sets `slice` (slice k of the grid, `columns` wide, i fastest) to `value` wherever `boxed` is non-zero on it. */
export function paintSlice(
  boxed: BoxedBytes,
  k: number,
  slice: Uint8Array,
  columns: number,
  value: number,
): void {
  const { lo, hi } = boxed.box;
  for (let j = lo[1]; j < hi[1]; j++) {
    const from = rowStart(boxed, j, k);
    if (from < 0) return; // slice k misses the box
    for (let i = lo[0], n = from, p = lo[0] + columns * j; i < hi[0]; i++, n++, p++) {
      if (boxed.data[n]) slice[p] = value;
    }
  }
}

/** Sets `boxed` to 1 wherever `slice` (slice k of the grid, `columns` wide) holds `label`, inside the box. */
export function readSliceLabel(
  slice: ArrayLike<number>,
  columns: number,
  k: number,
  label: number,
  boxed: BoxedBytes,
): void {
  const { lo, hi } = boxed.box;
  for (let j = lo[1]; j < hi[1]; j++) {
    const from = rowStart(boxed, j, k);
    if (from < 0) return;
    for (let i = lo[0], n = from; i < hi[0]; i++, n++)
      if (slice[i + columns * j] === label) boxed.data[n] = 1;
  }
}

/** Grows the box of each non-zero label in `boxes` to hold that label's voxels on `slice` (slice k, `columns` wide). */
export function growLabelBoxes(
  slice: ArrayLike<number>,
  columns: number,
  k: number,
  boxes: Map<number, Box>,
): void {
  for (let p = 0; p < slice.length; p++) {
    const label = slice[p] as number;
    if (!label) continue;
    const i = p % columns;
    const j = (p - i) / columns;
    const box = boxes.get(label);
    if (!box) {
      boxes.set(label, { lo: [i, j, k], hi: [i + 1, j + 1, k + 1] });
      continue;
    }
    const { lo, hi } = box;
    if (i < lo[0]) lo[0] = i;
    if (i >= hi[0]) hi[0] = i + 1;
    if (j < lo[1]) lo[1] = j;
    if (j >= hi[1]) hi[1] = j + 1;
    if (k < lo[2]) lo[2] = k;
    if (k >= hi[2]) hi[2] = k + 1;
  }
}

/** Throws when `boxed` does not fit a grid of `dims` or its data does not fill its box; `what` names it. */
export function checkBoxed(boxed: BoxedBytes, dims: readonly [number, number, number], what: string): void {
  const { lo, hi } = boxed.box;
  const inside = [0, 1, 2].every(
    (r) =>
      (lo[r] as number) >= 0 &&
      (hi[r] as number) <= (dims[r] as number) &&
      (lo[r] as number) <= (hi[r] as number),
  );
  if (!inside) {
    throw new Error(`${what}: box [${lo}]..[${hi}] does not lie in the grid ${dims.join(' x ')}`);
  }
  if (boxed.data.length !== boxVoxels(boxed.box)) {
    throw new Error(
      `${what}: ${boxed.data.length} bytes for a box of ${boxSize(boxed.box).join(' x ')} voxels`,
    );
  }
}

/** The full grid of `dims` (i fastest) with the box's bytes in place and 0 elsewhere. */
export function boxedToGrid(boxed: BoxedBytes, dims: readonly [number, number, number]): Uint8Array {
  checkBoxed(boxed, dims, 'boxed array');
  const [nx, ny, nz] = dims;
  const grid = new Uint8Array(nx * ny * nz);
  const [bx, by, bz] = boxSize(boxed.box);
  const { lo } = boxed.box;
  for (let c = 0, n = 0; c < bz; c++) {
    for (let b = 0; b < by; b++, n += bx) {
      grid.set(boxed.data.subarray(n, n + bx), lo[0] + nx * (lo[1] + b + ny * (lo[2] + c)));
    }
  }
  return grid;
}

/** A full grid of `dims` (i fastest) cropped to the bounding box of its non-zero voxels. */
export function gridToBoxed(grid: Uint8Array, dims: readonly [number, number, number]): BoxedBytes {
  if (grid.length !== dims[0] * dims[1] * dims[2]) {
    throw new Error(`grid of ${grid.length} voxels for dims ${dims.join(' x ')}`);
  }
  const box = nonZeroBox(grid, dims);
  if (!box) return emptyBoxed();
  const [bx, by, bz] = boxSize(box);
  const data = new Uint8Array(bx * by * bz);
  for (let c = 0, n = 0; c < bz; c++) {
    for (let b = 0; b < by; b++, n += bx) {
      const from = box.lo[0] + dims[0] * (box.lo[1] + b + dims[1] * (box.lo[2] + c));
      data.set(grid.subarray(from, from + bx), n);
    }
  }
  return { box, data };
}
