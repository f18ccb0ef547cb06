import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  maskToInputGrid,
  valuesToInputBox,
  rasAxisMap,
  reorientFromRas,
  reorientToRas,
  resampledSize,
  toModelSpace,
} from '../../../extension/src/engine/preprocess.ts';
import type { Volume } from '../../../extension/src/engine/volume.ts';
import { pythonFixture, readF32 } from './python-fixture.ts';
import { boxedToGrid, gridToBoxed } from '../../../extension/src/engine/boxed.ts';

const AXIAL = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const WINDOW: [number, number] = [-175, 250];

function ramp(
  dims: [number, number, number],
  direction = AXIAL,
  spacing: [number, number, number] = [1, 1, 1],
): Volume {
  const voxels = new Int16Array(dims[0] * dims[1] * dims[2]).map((_, n) => n - 100);
  return { voxels, dims, spacing, origin: [10, 20, 30], direction, modality: 'CT' };
}

/** LPS position of voxel (i,j,k) per the Volume contract. */
function position(v: Volume, i: number, j: number, k: number): number[] {
  const idx = [i, j, k];
  return [0, 1, 2].map(
    (row) =>
      (v.origin[row] as number) +
      [0, 1, 2].reduce(
        (s, c) => s + (v.direction[3 * row + c] as number) * (v.spacing[c] as number) * (idx[c] as number),
        0,
      ),
  );
}

test('an axial LPS volume maps to RAS by flipping x and y (no permutation)', () => {
  assert.deepEqual(rasAxisMap(AXIAL), { inputAxis: [0, 1, 2], flip: [true, true, false] });
});

test('RAS reorientation keeps every voxel at its patient position and round-trips exactly', () => {
  // i -> anterior-to-posterior? Columns: i along -S, j along +L, k along -P (a permuted, flipped series).
  const direction = [0, 1, 0, 0, 0, -1, -1, 0, 0];
  const v = ramp([4, 3, 5], direction, [0.5, 2, 3]);
  const ras = reorientToRas(v);
  assert.deepEqual(ras.dims, [3, 5, 4]);
  assert.deepEqual(ras.spacing, [2, 3, 0.5]);
  // RAS axes in LPS: +R = -L, +A = -P, +S.
  assert.deepEqual(ras.direction, [-1, 0, 0, 0, -1, 0, 0, 0, 1]);
  for (const [i, j, k] of [
    [0, 0, 0],
    [3, 2, 4],
    [1, 2, 3],
  ] as const) {
    const value = v.voxels[i + 4 * (j + 3 * k)];
    const p = position(v, i, j, k);
    const n = ras.voxels.findIndex((x) => x === value);
    const [a, b, c] = [n % 3, Math.floor(n / 3) % 5, Math.floor(n / 15)];
    position(ras, a, b, c).forEach((x, r) => assert.ok(Math.abs(x - (p[r] as number)) < 1e-9));
  }
  assert.deepEqual(reorientFromRas(ras.voxels, v), v.voxels);
});

test('resampling at the input spacing is the identity (windowed), and resampled sizes follow MONAI Spacing', async () => {
  const v = ramp([6, 5, 4], AXIAL, [1.5, 1.5, 1.5]);
  const space = await toModelSpace(v, { spacing: [1.5, 1.5, 1.5], window: [-1000, 1000] });
  const ras = reorientToRas(v);
  assert.deepEqual(space.dims, [6, 5, 4]);
  space.image.forEach((x, n) => assert.ok(Math.abs(x - ((ras.voxels[n] as number) + 1000) / 2000) < 1e-6));
  assert.equal(resampledSize(512, 0.7, 1.5), 239);
  assert.equal(resampledSize(3, 5, 1.5), 8);
});

test('trilinear resampling reproduces a linear function of position exactly', async () => {
  const dims: [number, number, number] = [7, 6, 5];
  const voxels = new Float32Array(7 * 6 * 5).map(
    (_, n) => 2 * (n % 7) + 3 * (Math.floor(n / 7) % 6) - 4 * Math.floor(n / 42),
  );
  const v: Volume = {
    voxels,
    dims,
    spacing: [1, 1, 1],
    origin: [0, 0, 0],
    direction: [-1, 0, 0, 0, -1, 0, 0, 0, 1],
    modality: 'CT',
  };
  const space = await toModelSpace(v, { spacing: [0.4, 0.7, 1.3], window: [-1000, 1000] });
  const [X, Y] = space.dims;
  space.image.forEach((value, n) => {
    const [a, b, c] = [n % X, Math.floor(n / X) % Y, Math.floor(n / (X * Y))];
    const hu = 2 * a * 0.4 + 3 * b * 0.7 - 4 * c * 1.3;
    assert.ok(
      Math.abs(value * 2000 - 1000 - hu) < 1e-3,
      `voxel ${a},${b},${c}: ${value * 2000 - 1000} vs ${hu}`,
    );
  });
});

test('orientation, resampling and windowing match MONAI Orientation+Spacing+ScaleIntensityRange', async () => {
  const dir = pythonFixture('monai_reference.py');
  const cases = JSON.parse(readFileSync(path.join(dir, 'cases.json'), 'utf8')).preprocess as {
    dims: [number, number, number];
    spacing: [number, number, number];
    origin: [number, number, number];
    direction: number[];
    hu: string;
    expectedDims: [number, number, number];
    expected: string;
  }[];
  for (const c of cases) {
    const v: Volume = { ...c, voxels: readF32(path.join(dir, c.hu)), modality: 'CT' };
    const space = await toModelSpace(v, { spacing: [1.5, 1.5, 1.5], window: WINDOW });
    assert.deepEqual(space.gridDims, c.expectedDims);
    assert.deepEqual(space.dims, c.expectedDims, 'all voxels are foreground here, so nothing is cropped');
    const expected = readF32(path.join(dir, c.expected));
    let worst = 0;
    expected.forEach((x, n) => (worst = Math.max(worst, Math.abs(x - (space.image[n] as number)))));
    assert.ok(worst < 1e-4, `direction ${c.direction}: max |TS - MONAI| = ${worst}`);
  }
});

test('foreground crop keeps the bounding box of voxels above the window floor', async () => {
  const dims: [number, number, number] = [10, 8, 6];
  const voxels = new Int16Array(480).fill(-1000);
  voxels[3 + 10 * (2 + 8 * 1)] = 40;
  voxels[6 + 10 * (5 + 8 * 4)] = 40;
  const v: Volume = { voxels, dims, spacing: [1, 1, 1], origin: [0, 0, 0], direction: AXIAL, modality: 'CT' };
  const space = await toModelSpace(v, { spacing: [1, 1, 1], window: WINDOW });
  // RAS flips x and y: input x 3..6 -> RAS 3..6 of 10 (9-6 .. 9-3), input y 2..5 -> RAS 2..5 of 8.
  assert.deepEqual(space.box, { lo: [3, 2, 1], hi: [7, 6, 5] });
  assert.deepEqual(space.dims, [4, 4, 4]);
});

test('a model-space mask maps back to the input grid: exact inverse at equal spacing, nearest otherwise', async () => {
  const direction = [0, 0, 1, -1, 0, 0, 0, -1, 0];
  const v = ramp([5, 4, 3], direction);
  v.voxels.fill(100);
  const space = await toModelSpace(v, { spacing: [1, 1, 1], window: WINDOW });
  const mask = Uint8Array.from({ length: space.image.length }, (_, n) => (n % 3 === 0 ? 1 : 0));
  assert.deepEqual(maskToInputGrid(mask, space, v), reorientFromRas(mask, v));
  // A small structure: held as the input box its bounding box maps to (only those voxels are visited), the same
  // values on the full grid.
  const blob = new Uint8Array(space.image.length);
  blob[space.dims[0] + 1] = blob[space.dims[0] * space.dims[1] + 2] = 1;
  const mapped = valuesToInputBox(blob, space, v);
  const dense = reorientFromRas(blob, v);
  assert.deepEqual(boxedToGrid(mapped.boxed, v.dims), dense);
  assert.deepEqual(mapped.boxed.box, gridToBoxed(dense, v.dims).box, 'the tight box of the two voxels');
  assert.equal(mapped.boxed.data.length, 2 * 2 * 2);
  assert.equal(mapped.nonZero, 2);
  const none = valuesToInputBox(new Uint8Array(blob.length), space, v);
  assert.deepEqual([none.nonZero, none.boxed.data.length], [0, 0]);

  const fine: Volume = { ...ramp([4, 4, 3], AXIAL, [1, 1, 3]) };
  fine.voxels.fill(100);
  const coarse = await toModelSpace(fine, { spacing: [1, 1, 1.5], window: WINDOW });
  assert.deepEqual(coarse.dims, [4, 4, 5]);
  const slab = new Uint8Array(80);
  slab.fill(1, 2 * 16, 3 * 16); // RAS slice z=2 (3 mm) is input slice k=1
  const back = maskToInputGrid(slab, coarse, fine);
  assert.deepEqual(
    [...back].map((x, n) => (x ? Math.floor(n / 16) : -1)).filter((k) => k >= 0),
    new Array(16).fill(1),
  );
});

test('a 3-slice series survives pre-processing (padding happens in the sliding window)', async () => {
  const v = ramp([40, 30, 3], AXIAL, [0.8, 0.8, 5]);
  const space = await toModelSpace(v, { spacing: [1.5, 1.5, 1.5], window: WINDOW });
  assert.equal(space.gridDims[2], 8);
  assert.ok(space.image.length > 0);
});

test('pre-processing stops with the AbortSignal reason', async () => {
  const controller = new AbortController();
  controller.abort(new Error('stop now'));
  await assert.rejects(
    toModelSpace(ramp([8, 8, 8]), { spacing: [1, 1, 1], window: WINDOW }, { signal: controller.signal }),
    /stop now/,
  );
});
