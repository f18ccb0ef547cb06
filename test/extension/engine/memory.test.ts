// Memory: a 512 x 512 x 300 CT with every class of the registry model stays under the engine's 2 GiB limit
// (measured in a fresh Node process), a request whose estimate exceeds the limit is refused before any work, and
// probability maps asked for "if memory allows" are dropped, not the run, where only they would exceed it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { EngineError } from '../../../extension/src/engine/errors.ts';
import { MEMORY_LIMIT_BYTES, planProbabilities } from '../../../extension/src/engine/memory.ts';
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

test('a 512 x 512 x 300 CT segmented with every registry class peaks under the 2 GiB limit and under the estimate (Node, WASM)', () => {
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'test/extension/engine/fixtures/peak-memory.ts')],
    { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const run = JSON.parse(output.trim().split('\n').at(-1) ?? '') as {
    maxRssBytes: number;
    estimateBytes: number;
    maskBytes: number;
  };
  console.log(output.trim());
  assert.equal(
    run.maskBytes,
    512 * 512 * 300 * model.classes.length,
    'one byte per voxel and class came back',
  );
  assert.ok(run.maxRssBytes < MEMORY_LIMIT_BYTES, `peak ${run.maxRssBytes} bytes`);
  assert.ok(
    run.maxRssBytes < run.estimateBytes,
    `peak ${run.maxRssBytes} above the estimate ${run.estimateBytes}`,
  );
});

test('a request beyond the memory limit is refused before any work, naming the limit', async () => {
  // 512 x 512 x 600: every class on the input grid alone is 13 x 157 MB.
  const dims: [number, number, number] = [512, 512, 600];
  const stages: Progress[] = [];
  const volume = {
    // Air with one 0 HU voxel at the start (in the small volume below too): a CT range.
    voxels: new Int16Array(dims[0] * dims[1] * dims[2]).fill(-1000).fill(0, 0, 1),
    dims,
    spacing: [0.75, 0.75, 0.5] as [number, number, number],
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
  assert.equal(small.classes[0]?.mask.length, 40 * 40 * 4, 'the model still segments after the refusal');
});

test('probability maps "if memory allows": kept where they fit, dropped with the reason where only they overflow', () => {
  // Only the dims, the spacing and the voxels' byte length enter the estimate.
  const ct = (slices: number) =>
    ({
      voxels: { byteLength: 512 * 512 * slices * 2 },
      dims: [512, 512, slices],
      spacing: [0.75, 0.75, 1],
    }) as unknown as Volume;
  const plan = (classes: number) => ({ requested: classes, computed: classes, spacing: [3, 3, 3] });
  // One class: mask and map fit.
  assert.deepEqual(planProbabilities(ct(300), plan(1), 'if-memory-allows'), { probabilities: true });
  // Every class of 512 x 512 x 300: the masks fit (the test above), with the maps it would not.
  const all = planProbabilities(ct(300), plan(13), 'if-memory-allows');
  assert.equal(all.probabilities, false);
  assert.match(
    all.omitted ?? '',
    /^the probability maps of 13 class\(es\) of this 512 x 512 x 300 volume would raise the need to about 2\.\d\d GiB, above the engine's memory limit of 2\.00 GiB: masks only$/,
  );
  // Asked for outright, the same request is refused; and where the masks alone overflow, 'if-memory-allows' too.
  const tooBig = (e: unknown) => e instanceof EngineError && e.code === 'too-big';
  assert.throws(() => planProbabilities(ct(300), plan(13), true), tooBig);
  assert.throws(() => planProbabilities(ct(600), plan(13), 'if-memory-allows'), tooBig);
  assert.deepEqual(planProbabilities(ct(300), plan(13), false), { probabilities: false });
});
