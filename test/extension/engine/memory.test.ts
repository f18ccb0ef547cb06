// Memory: a 512 x 512 x 300 CT with every class of the registry model and its probability maps stays under the
// engine's 2 GiB limit (measured in a fresh Node process), as results held in the boxes of their structures; a request
// whose model-grid arrays exceed the limit is refused before any work; results that would exceed it once the model
// has run are refused with the bytes they need, and probability maps asked for "if memory allows" are dropped, not
// the run, where only they would exceed it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { EngineError } from '../../../extension/src/engine/errors.ts';
import { MEMORY_LIMIT_BYTES, planOutputs, planProbabilities } from '../../../extension/src/engine/memory.ts';
import { loadModel, type Model } from '../../../extension/src/engine/model.ts';
import type { Progress } from '../../../extension/src/engine/segment.ts';
import type { Volume } from '../../../extension/src/engine/volume.ts';
import { serveDirectory, type ModelServer } from './model-server.ts';
import { repoRoot } from './python-fixture.ts';
import { registryModel } from './registry-reference.ts';

let server: ModelServer;
let model: Model;

before(async () => {
  server = await serveDirectory(registryModel().dir);
  model = await loadModel(`${server.url}manifest.json`, { cache: null });
});

after(async () => {
  await model.dispose();
  await server.close();
});

test('a 512 x 512 x 300 CT segmented with every registry class and its probability maps peaks under the 2 GiB limit and under the estimate (Node, WASM)', () => {
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'test/extension/engine/fixtures/peak-memory.ts')],
    { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const run = JSON.parse(output.trim().split('\n').at(-1) ?? '') as {
    maxRssBytes: number;
    estimateBytes: number;
    maskBytes: number;
    mapBytes: number;
    probabilitiesOmitted: string | null;
  };
  console.log(output.trim());
  assert.equal(run.probabilitiesOmitted, null, 'the maps came back');
  const grid = 512 * 512 * 300 * model.classes.length;
  assert.ok(run.maskBytes > 0 && run.maskBytes < grid / 4, `masks ${run.maskBytes} bytes: boxes, not grids`);
  assert.ok(run.mapBytes >= run.maskBytes && run.mapBytes < grid, `maps ${run.mapBytes} bytes`);
  assert.ok(run.maxRssBytes < MEMORY_LIMIT_BYTES, `peak ${run.maxRssBytes} bytes`);
  assert.ok(
    run.maxRssBytes < run.estimateBytes,
    `peak ${run.maxRssBytes} above the estimate ${run.estimateBytes}`,
  );
});

test('a request whose model-grid arrays exceed the memory limit is refused before any work, naming the limit', async () => {
  // 512 x 512 x 600 at the model's 3 mm: 157 M model voxels, each with its float32 image, int32 labels and a byte per
  // class.
  const dims: [number, number, number] = [512, 512, 600];
  const stages: Progress[] = [];
  const volume = {
    // Air with one 0 HU voxel at the start (in the small volume below too): a CT range.
    voxels: new Int16Array(dims[0] * dims[1] * dims[2]).fill(-1000).fill(0, 0, 1),
    dims,
    spacing: [3, 3, 3] as [number, number, number],
    origin: [0, 0, 0] as [number, number, number],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    modality: 'CT',
  };
  await assert.rejects(
    model.segment(volume, {
      classes: model.classes.map((c) => c.name),
      onProgress: (p) => stages.push(p),
    }),
    (e: unknown) =>
      e instanceof EngineError &&
      e.code === 'too-big' &&
      /512 x 512 x 600 volume would need about \d+\.\d\d GiB; the engine's memory limit is 2\.00 GiB/.test(
        e.message,
      ),
  );
  assert.deepEqual(stages, [], 'nothing was pre-processed or run');
  const small = await model.segment(
    { ...volume, dims: [40, 40, 4], voxels: volume.voxels.subarray(0, 40 * 40 * 4) },
    { classes: ['liver'] },
  );
  assert.equal(small.classes[0]?.name, 'liver', 'the model still segments after the refusal');
});

// Only the dims, the spacing and the voxels' byte length enter the estimates.
const ct = (slices: number, mm = 0.75) =>
  ({
    voxels: { byteLength: 512 * 512 * slices * 2 },
    dims: [512, 512, slices],
    spacing: [mm, mm, mm],
  }) as unknown as Volume;
const plan = (classes: number) => ({ requested: classes, computed: classes, spacing: [3, 3, 3] });
const tooBig = (e: unknown) => e instanceof EngineError && e.code === 'too-big';

test('probability maps "if memory allows", before the run: kept where the model-grid maps fit, dropped with the reason where only they overflow', () => {
  // 512 x 512 x 300 at 0.75 mm is 128 x 128 x 75 on the model grid: every class with maps fits.
  assert.deepEqual(planProbabilities(ct(300), plan(13), 'if-memory-allows'), { probabilities: true });
  // At 3 mm the model grid is the input grid: 13 classes fit (39 M voxels x (8 + 13) bytes), with maps they do not.
  const coarse = planProbabilities(ct(150, 3), plan(13), 'if-memory-allows');
  assert.equal(coarse.probabilities, false);
  assert.match(
    coarse.omitted ?? '',
    /^the probability maps of 13 class\(es\) of this 512 x 512 x 150 volume would raise the need to about 2\.\d\d GiB, above the engine's memory limit of 2\.00 GiB: masks only$/,
  );
  assert.throws(() => planProbabilities(ct(150, 3), plan(13), true), tooBig);
  assert.throws(() => planProbabilities(ct(400, 3), plan(13), 'if-memory-allows'), tooBig);
  assert.deepEqual(planProbabilities(ct(150, 3), plan(13), false), { probabilities: false });
});

test('results once the model has run: the boxes found decide; masks beyond the limit are refused with their need, maps beyond it dropped', () => {
  const volume = ct(300);
  const run = { ...plan(32), probabilities: true };
  const mib = 1024 ** 2;
  // 32 classes whose boxes hold 5 MiB each, maps 10 MiB each: 1.70 GiB with the rest, kept.
  assert.deepEqual(
    planOutputs(volume, run, { masks: 32 * 5 * mib, maps: 32 * 10 * mib }, 'if-memory-allows'),
    {
      probabilities: true,
    },
  );
  // Maps of 25 MiB each would pass the limit: masks only, saying why.
  const big = planOutputs(volume, run, { masks: 32 * 5 * mib, maps: 32 * 25 * mib }, 'if-memory-allows');
  assert.equal(big.probabilities, false);
  assert.match(
    big.omitted ?? '',
    /^the probability maps of 32 class\(es\) found in this 512 x 512 x 300 volume would raise the need to about 2\.\d\d GiB, above the engine's memory limit of 2\.00 GiB: masks only$/,
  );
  assert.throws(() => planOutputs(volume, run, { masks: 32 * 5 * mib, maps: 32 * 25 * mib }, true), tooBig);
  // Every class filling the whole CT (75 MiB each): refused, saying what would not fit.
  assert.throws(
    () => planOutputs(volume, run, { masks: 32 * 75 * mib, maps: 0 }, 'if-memory-allows'),
    (e: unknown) =>
      tooBig(e) &&
      /^the results of 32 class\(es\) of this 512 x 512 x 300 volume \(the bounding boxes of the structures found\) would need about \d+\.\d\d GiB/.test(
        (e as Error).message,
      ),
  );
});
