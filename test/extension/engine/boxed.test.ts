// Boxed results (engine/boxed.ts): each operation on the box of a structure equals the same operation on the full
// grid, checked on random masks and labelmaps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  boxedOverlap,
  boxedToGrid,
  checkBoxed,
  emptyBoxed,
  gridToBoxed,
  growLabelBoxes,
  intersectBoxes,
  paintSlice,
  readSliceLabel,
  unionBoxes,
  type Box,
  type BoxedBytes,
} from '../../../extension/src/engine/boxed.ts';

const DIMS: [number, number, number] = [13, 9, 7];
const VOXELS = DIMS[0] * DIMS[1] * DIMS[2];

/** A deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random blob: voxels of a random sub-box set with probability `fill`. */
function blob(rand: () => number, fill = 0.3): Uint8Array {
  const grid = new Uint8Array(VOXELS);
  const lo = DIMS.map((d) => Math.floor((rand() * d) / 2));
  const hi = DIMS.map((d, r) => Math.min(d, (lo[r] as number) + 2 + Math.floor(rand() * d)));
  for (let k = lo[2]!; k < hi[2]!; k++)
    for (let j = lo[1]!; j < hi[1]!; j++)
      for (let i = lo[0]!; i < hi[0]!; i++) if (rand() < fill) grid[i + DIMS[0] * (j + DIMS[1] * k)] = 1;
  return grid;
}

test('gridToBoxed keeps the tight box of the non-zero voxels, and boxedToGrid gives the grid back', () => {
  const rand = random(1);
  for (let n = 0; n < 50; n++) {
    const grid = blob(rand);
    const boxed = gridToBoxed(grid, DIMS);
    assert.deepEqual(boxedToGrid(boxed, DIMS), grid);
    const nonZero = grid.reduce((s, v) => s + v, 0);
    assert.equal(
      boxed.data.reduce((s, v) => s + v, 0),
      nonZero,
    );
    if (!nonZero) continue;
    // Tight: every face of the box holds a voxel.
    for (let r = 0; r < 3; r++) {
      for (const face of [boxed.box.lo[r]!, boxed.box.hi[r]! - 1]) {
        let found = false;
        grid.forEach((v, p) => {
          const ijk = [p % DIMS[0], Math.floor(p / DIMS[0]) % DIMS[1], Math.floor(p / (DIMS[0] * DIMS[1]))];
          if (v && ijk[r] === face) found = true;
        });
        assert.ok(found, `axis ${r} face ${face}`);
      }
    }
  }
  assert.deepEqual(gridToBoxed(new Uint8Array(VOXELS), DIMS), emptyBoxed());
  assert.throws(() => gridToBoxed(new Uint8Array(5), DIMS), /grid of 5 voxels for dims 13 x 9 x 7/);
});

test('boxedOverlap equals a voxel-by-voxel overlap of the grids', () => {
  const rand = random(2);
  let overlapping = 0;
  for (let n = 0; n < 200; n++) {
    const [a, b] = [blob(rand, 0.15), blob(rand, 0.15)];
    const expected = a.some((v, p) => v !== 0 && b[p] !== 0);
    overlapping += expected ? 1 : 0;
    assert.equal(boxedOverlap(gridToBoxed(a, DIMS), gridToBoxed(b, DIMS)), expected, `pair ${n}`);
  }
  assert.ok(overlapping > 20 && overlapping < 180, `${overlapping} of 200 pairs overlap: both cases tested`);
});

test('a labelmap read back slice by slice (growLabelBoxes, then readSliceLabel) equals each label as a boxed grid; paintSlice writes it again', () => {
  const rand = random(3);
  const labelmap = new Uint8Array(VOXELS);
  for (const label of [1, 2, 3]) blob(rand, 0.2).forEach((v, p) => v && (labelmap[p] = label));
  const slice = DIMS[0] * DIMS[1];
  const slices = Array.from({ length: DIMS[2] }, (_, k) => labelmap.subarray(k * slice, (k + 1) * slice));
  const boxes = new Map<number, Box>();
  slices.forEach((s, k) => growLabelBoxes(s, DIMS[0], k, boxes));
  const painted = new Uint8Array(VOXELS);
  for (const label of [1, 2, 3]) {
    const expected = gridToBoxed(
      labelmap.map((v) => (v === label ? 1 : 0)),
      DIMS,
    );
    assert.ok(expected.data.length > 0, `label ${label} is on the labelmap`);
    assert.deepEqual(boxes.get(label), expected.box, `label ${label}: box`);
    const read: BoxedBytes = { box: expected.box, data: new Uint8Array(expected.data.length) };
    slices.forEach((s, k) => readSliceLabel(s, DIMS[0], k, label, read));
    assert.deepEqual(read, expected, `label ${label}: bytes`);
    for (let k = 0; k < DIMS[2]; k++)
      paintSlice(read, k, painted.subarray(k * slice, (k + 1) * slice), DIMS[0], label);
  }
  assert.deepEqual(painted, labelmap);
});

test('box algebra and checks: intersection, union with an empty box, boxes outside the grid or short of bytes', () => {
  const a: Box = { lo: [0, 0, 0], hi: [4, 4, 4] };
  const b: Box = { lo: [3, 2, 1], hi: [6, 6, 6] };
  assert.deepEqual(intersectBoxes(a, b), { lo: [3, 2, 1], hi: [4, 4, 4] });
  assert.equal(
    intersectBoxes(a, { lo: [4, 0, 0], hi: [5, 1, 1] }),
    undefined,
    'touching faces share no voxel',
  );
  assert.deepEqual(unionBoxes(a, b), { lo: [0, 0, 0], hi: [6, 6, 6] });
  assert.deepEqual(unionBoxes(emptyBoxed().box, b), b);
  assert.throws(
    () => checkBoxed({ box: { lo: [10, 0, 0], hi: [14, 1, 1] }, data: new Uint8Array(4) }, DIMS, 'mask'),
    /mask: box \[10,0,0\]\.\.\[14,1,1\] does not lie in the grid 13 x 9 x 7/,
  );
  assert.throws(
    () => checkBoxed({ box: a, data: new Uint8Array(63) }, DIMS, 'map'),
    /map: 63 bytes for a box of 4 x 4 x 4 voxels/,
  );
});
