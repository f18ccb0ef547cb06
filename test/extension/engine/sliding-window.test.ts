import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  gaussianImportanceMap,
  slidingWindow,
  windowStarts,
  type Vec3,
} from '../../../extension/src/engine/sliding-window.ts';
import { pythonFixture, readF32 } from './python-fixture.ts';

interface SlidingCase {
  dims: Vec3;
  patch: Vec3;
  overlap: number;
  padding: 'constant' | 'replicate';
  image: string;
  expected: string;
}

/** The same predictor as fixtures/monai_reference.py: channel c = x*(c+1) + mean of the window. */
async function windowDependentPredictor(patches: Float32Array, count: number): Promise<Float32Array> {
  const voxels = patches.length / count;
  const out = new Float32Array(count * 2 * voxels);
  for (let b = 0; b < count; b++) {
    const patch = patches.subarray(b * voxels, (b + 1) * voxels);
    const mean = patch.reduce((s, v) => s + v, 0) / voxels;
    for (let c = 0; c < 2; c++) {
      for (let i = 0; i < voxels; i++) out[(b * 2 + c) * voxels + i] = (patch[i] as number) * (c + 1) + mean;
    }
  }
  return out;
}

test('window starts follow MONAI: interval = patch*(1-overlap), last window flush with the end', () => {
  assert.deepEqual(windowStarts(20, 8, 0.5), [0, 4, 8, 12]);
  assert.deepEqual(windowStarts(21, 8, 0.5), [0, 4, 8, 12, 13]);
  assert.deepEqual(windowStarts(8, 8, 0.5), [0]);
  assert.deepEqual(windowStarts(23, 8, 0.25), [0, 6, 12, 15]);
});

test('Gaussian importance map is separable, peaks at the centre and is floored at 1e-3', () => {
  const map = gaussianImportanceMap([8, 8, 8]);
  const at = (x: number, y: number, z: number) => map[(x * 8 + y) * 8 + z] as number;
  assert.ok(at(3, 3, 3) > at(0, 3, 3));
  assert.equal(at(3, 4, 3), at(4, 3, 3));
  assert.ok(Math.min(...map) >= 1e-3);
});

test('sliding window blending matches MONAI sliding_window_inference (gaussian, constant and replicate padding, batches of 2)', async () => {
  const dir = pythonFixture('monai_reference.py');
  const cases = JSON.parse(readFileSync(path.join(dir, 'cases.json'), 'utf8')).slidingWindow as SlidingCase[];
  for (const c of cases) {
    const image = readF32(path.join(dir, c.image));
    const expected = readF32(path.join(dir, c.expected));
    const [X, Y, Z] = c.dims;
    const got = new Float32Array(expected.length);
    let nextZ = 0;
    await slidingWindow(
      image,
      c.dims,
      2,
      windowDependentPredictor,
      { patch: c.patch, overlap: c.overlap, batch: 2, padding: c.padding },
      (z0, depth, channel, values) => {
        assert.equal(z0, channel === 0 ? nextZ : nextZ - depth, 'slabs arrive in order, each slice once');
        assert.equal(values.length, depth * X * Y);
        if (channel === 0) nextZ = z0 + depth;
        got.set(values, channel * X * Y * Z + z0 * X * Y);
      },
    );
    assert.equal(nextZ, Z);
    let worst = 0;
    for (let i = 0; i < got.length; i++)
      worst = Math.max(worst, Math.abs((got[i] as number) - (expected[i] as number)));
    assert.ok(worst < 1e-5, `case ${c.dims} (${c.padding}): max |TS - MONAI| = ${worst}`);
  }
});

test('sliding window stops with the AbortSignal reason between windows', async () => {
  const controller = new AbortController();
  let calls = 0;
  const predictor = async (patches: Float32Array, count: number) => {
    if (++calls === 2) controller.abort(new Error('user cancelled'));
    return new Float32Array(patches.length * count);
  };
  await assert.rejects(
    slidingWindow(
      new Float32Array(16 * 16 * 16),
      [16, 16, 16],
      1,
      predictor,
      { patch: [8, 8, 8], overlap: 0.5, batch: 1 },
      () => {},
      {
        signal: controller.signal,
      },
    ),
    /user cancelled/,
  );
  assert.equal(calls, 2);
});
