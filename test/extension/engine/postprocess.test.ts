import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  keepInside,
  keepLargestComponent,
  labelComponents,
  volumeMl,
} from '../../../extension/src/engine/postprocess.ts';
import { nonZeroBox } from '../../../extension/src/engine/boxed.ts';
import { pythonFixture } from './python-fixture.ts';

test('component sizes equal scipy.ndimage.label with full (26) and default (6) connectivity', () => {
  const dir = pythonFixture('scipy_components.py');
  const cases = JSON.parse(readFileSync(path.join(dir, 'cases.json'), 'utf8')) as {
    dims: [number, number, number];
    mask: string;
    sizes: { '26': number[]; '6': number[] };
  }[];
  for (const c of cases) {
    const mask = new Uint8Array(readFileSync(path.join(dir, c.mask)));
    for (const connectivity of [26, 6] as const) {
      const { sizes } = labelComponents(mask, c.dims, connectivity);
      assert.deepEqual(
        [...sizes].sort((a, b) => b - a),
        c.sizes[connectivity],
        `${c.dims} at ${connectivity}`,
      );
    }
  }
});

test('diagonal neighbours join under 26-connectivity but not under 6', () => {
  const mask = new Uint8Array(8);
  mask[0] = 1; // (0,0,0)
  mask[7] = 1; // (1,1,1)
  assert.equal(labelComponents(mask, [2, 2, 2], 26).sizes.length, 1);
  assert.equal(labelComponents(mask, [2, 2, 2], 6).sizes.length, 2);
});

test('keepLargestComponent removes every smaller island and keeps the largest intact', () => {
  const dims: [number, number, number] = [10, 10, 10];
  const mask = new Uint8Array(1000);
  const set = (x: number, y: number, z: number) => (mask[x + 10 * (y + 10 * z)] = 1);
  for (let x = 1; x < 5; x++) for (let y = 1; y < 5; y++) for (let z = 1; z < 5; z++) set(x, y, z);
  set(8, 8, 8);
  set(8, 8, 9);
  set(0, 9, 0);
  assert.equal(keepLargestComponent(mask, dims), 64);
  assert.equal(
    mask.reduce((n, v) => n + v, 0),
    64,
  );
  assert.equal(mask[8 + 10 * (8 + 10 * 8)], 0);
});

/** A reproducible sparse random mask: `islands` small random blocks inside a larger grid. */
function islands(dims: [number, number, number], count: number, seed: number): Uint8Array {
  let state = seed;
  const random = (n: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return Math.floor((state / 2147483648) * n);
  };
  const mask = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < count; k++) {
    const [x0, y0, z0] = dims.map((d) => random(d - 3));
    const [sx, sy, sz] = [1, 1, 1].map(() => 1 + random(3));
    for (let z = z0 as number; z < (z0 as number) + (sz as number); z++)
      for (let y = y0 as number; y < (y0 as number) + (sy as number); y++)
        mask.fill(
          1,
          (x0 as number) + dims[0] * (y + dims[1] * z),
          (x0 as number) + (sx as number) + dims[0] * (y + dims[1] * z),
        );
  }
  return mask;
}

test('nonZeroBox is the exact bounding box of the non-zero voxels (undefined when there are none)', () => {
  const dims: [number, number, number] = [23, 17, 11];
  assert.equal(nonZeroBox(new Uint8Array(23 * 17 * 11), dims), undefined);
  for (let seed = 1; seed <= 20; seed++) {
    const mask = islands(dims, 1 + (seed % 4), seed);
    const lo = [Infinity, Infinity, Infinity];
    const hi = [0, 0, 0];
    mask.forEach((v, n) => {
      if (!v) return;
      const p = [n % 23, Math.floor(n / 23) % 17, Math.floor(n / (23 * 17))];
      p.forEach(
        (c, r) => ((lo[r] = Math.min(lo[r] as number, c)), (hi[r] = Math.max(hi[r] as number, c + 1))),
      );
    });
    assert.deepEqual(nonZeroBox(mask, dims), { lo, hi }, `seed ${seed}`);
  }
});

test('keepLargestComponent labels only the bounding box yet keeps exactly what whole-volume labelling keeps (ties: first in raster order)', () => {
  const dims: [number, number, number] = [30, 20, 14];
  for (let seed = 1; seed <= 30; seed++) {
    const mask = islands(dims, 2 + (seed % 5), seed);
    const { labels, sizes } = labelComponents(mask, dims, 26);
    const largest = sizes.indexOf(Math.max(...sizes)) + 1;
    const expected = Uint8Array.from(labels, (l) => (l === largest ? 1 : 0));
    assert.equal(keepLargestComponent(mask, dims, 26), sizes[largest - 1], `seed ${seed}: size`);
    assert.deepEqual(mask, expected, `seed ${seed}: mask`);
  }
});

test('a U-shaped object whose arms meet late in the scan is one component (union of provisional labels)', () => {
  const dims: [number, number, number] = [5, 4, 1];
  // Two arms at x=0 and x=4 from y=0..2 joined by a bottom row at y=3.
  const mask = new Uint8Array(20);
  for (let y = 0; y < 4; y++) mask[y * 5] = mask[y * 5 + 4] = 1;
  mask.fill(1, 15, 20);
  assert.deepEqual(labelComponents(mask, dims).sizes, [11]);
});

test('tumour voxels outside their organ are removed; those inside are kept', () => {
  const organ = Uint8Array.from([0, 1, 1, 1, 0, 0]);
  const tumour = Uint8Array.from([1, 1, 0, 1, 0, 1]);
  keepInside(tumour, organ);
  assert.deepEqual([...tumour], [0, 1, 0, 1, 0, 0]);
});

test('volume in mL is voxels times voxel volume in mm^3 / 1000', () => {
  assert.equal(volumeMl(2000, [0.5, 0.5, 2]), 1);
});
