import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  countVoxels,
  keepInside,
  keepLargestComponent,
  labelComponents,
  volumeMl,
} from '../../../extension/src/engine/postprocess.ts';
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
  assert.equal(countVoxels(mask), 64);
  assert.equal(mask[8 + 10 * (8 + 10 * 8)], 0);
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
