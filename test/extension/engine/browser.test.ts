import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserSession } from '../../harness/browser.ts';
import { loadModel } from '../../../extension/src/engine/model.ts';
import { GENERATOR_FLOATS } from '../../../extension/src/engine/session.ts';
import { openEnginePage, type EnginePage } from './engine-page.ts';
import type { BrowserRun, TransferRun } from './fixtures/browser-entry.ts';
import type { ModelServer } from './model-server.ts';
import { phantomVolume } from './phantom-volume.ts';
import { pythonFixture } from './python-fixture.ts';
import { boxedToGrid } from '../../../extension/src/engine/boxed.ts';

let page: EnginePage;
let server: ModelServer;
let browser: BrowserSession;

before(async () => {
  page = await openEnginePage(
    { 'model/': pythonFixture('tiny_model.py') },
    {
      'worker.js': 'extension/src/engine/worker.ts',
      'lost-device-worker.js': 'test/extension/engine/fixtures/lost-device-worker.ts',
    },
  );
  ({ server, browser } = page);
});

after(async () => {
  await page?.close();
});

async function runInPage(backend: 'webgpu' | 'wasm', classes: string[]): Promise<BrowserRun> {
  const volume = phantomVolume([24, 24, 16]);
  return browser.page.evaluate(
    ([url, v, c, b]) =>
      (
        globalThis as unknown as { segmentInBrowser: (...a: unknown[]) => Promise<BrowserRun> }
      ).segmentInBrowser(url, v, c, b),
    [
      `${server.url}model/manifest.json`,
      { ...volume, voxels: Array.from(volume.voxels) },
      classes,
      backend,
    ] as const,
  );
}

/** ORT logs its (expected) placement of shape-only ops on the CPU as a console error; the export's own WebGPU test checks node placement of the real graphs. */
const ortPlacementNote = /VerifyEachNodeIsAssignedToAnEp/;

test('in Chromium the engine runs on WebGPU (SwiftShader) with masks equal to Node WASM; between backbone and heads nothing leaves the GPU: one read per patch, the logits', async () => {
  const classes = ['liver', 'liver tumour'];
  // Two windows along x: several patches through the same sessions; then a one-window volume in the same page.
  const volume = phantomVolume([100, 36, 24]);
  const second = phantomVolume([24, 24, 16]);
  const started = Date.now();
  const [gpu, again] = await browser.page.evaluate(
    ([url, volumes, c]) =>
      (
        globalThis as unknown as { segmentWatchingTransfers: (...a: unknown[]) => Promise<TransferRun[]> }
      ).segmentWatchingTransfers(url, volumes, c),
    [
      `${server.url}model/manifest.json`,
      [volume, second].map((v) => ({ ...v, voxels: Array.from(v.voxels) })),
      classes,
    ] as const,
  );
  assert.ok(gpu && again);
  console.log(
    `WebGPU runs in page ${Date.now() - started} ms, ${gpu.windows} + ${again.windows} windows, reads ${JSON.stringify(gpu.reads)}; ` +
      `GPU buffers: ${gpu.createdBytes} then ${again.createdBytes} bytes created, ` +
      `${gpu.liveBytesAfterDispose} then ${again.liveBytesAfterDispose} alive after dispose`,
  );
  assert.match(gpu.adapter, /google|swiftshader/i);
  assert.equal(gpu.backend, 'webgpu', gpu.fallback);
  assert.deepEqual(
    browser.errors.filter((e) => !ortPlacementNote.test(e.text)),
    [],
    'no console errors from the WebGPU device',
  );
  assert.ok(gpu.windows >= 2, `${gpu.windows} windows`);
  // The engine's own session runs, in order: backbone, heads, backbone, heads, ...
  assert.equal(gpu.runs.length, 2 * gpu.windows);
  gpu.runs.forEach((run, i) => {
    if (i % 2 === 0) {
      assert.deepEqual(run.outputs, { feature: 'gpu-buffer', head_input: 'gpu-buffer' }, `backbone run ${i}`);
    } else {
      assert.equal(run.inputs.feature, 'gpu-buffer', `heads run ${i} reads feature from the GPU`);
      assert.equal(run.inputs.head_input, 'gpu-buffer', `heads run ${i} reads head_input from the GPU`);
      for (const gen of ['gen_w1', 'gen_b1', 'gen_w2', 'gen_b2'])
        assert.equal(run.inputs[gen], 'gpu-buffer', `heads run ${i}: ${gen} uploaded once, not per patch`);
      assert.deepEqual(run.outputs, { logits: 'cpu' }, `heads run ${i}`);
    }
  });
  // Exactly one GPU -> CPU read per patch, of the logits [1, C, 64, 64, 64] float32 the blend needs.
  assert.deepEqual(gpu.reads, new Array(gpu.windows).fill(classes.length * 64 ** 3 * 4));
  assert.deepEqual(again.reads, new Array(again.windows).fill(classes.length * 64 ** 3 * 4));
  // Disposed tensors and released sessions hand their buffers back to ONNX Runtime's bounded reuse pool (ORT 1.30
  // keeps it for the JavaScript context and has no call to empty it; ending the worker frees it). The next run takes
  // its buffers from that pool: apart from the staging buffers of its reads (destroyed once read) and its own
  // generator upload (destroyed on dispose) it allocates under 1 % of the first run's bytes, and what stays alive
  // grows by under 1 %.
  const staging = again.reads.reduce((a, b) => a + b, 0);
  const generators = classes.length * GENERATOR_FLOATS * 4 + 4 * 16; // four tensors, each rounded up to 16 bytes
  assert.ok(
    again.createdBytes - staging - generators < 0.01 * gpu.createdBytes,
    `second run: ${again.createdBytes} bytes`,
  );
  assert.ok(
    again.liveBytesAfterDispose - gpu.liveBytesAfterDispose < 0.01 * gpu.liveBytesAfterDispose,
    `GPU memory grew: ${gpu.liveBytesAfterDispose} -> ${again.liveBytesAfterDispose} bytes`,
  );
  const node = await (
    await loadModel(`${server.url}model/manifest.json`, { cache: null })
  ).segment(volume, { classes, backend: 'wasm' });
  node.classes.forEach((c, i) => {
    assert.ok(c.voxels > 100, `${c.name} is segmented`);
    assert.equal(gpu.classes[i]?.name, c.name);
    assert.deepEqual(
      gpu.classes[i]?.mask,
      Array.from(boxedToGrid(c.mask, volume.dims)),
      `${c.name}: WebGPU mask differs from WASM`,
    );
  });
});

test('in Chromium, a second load takes every model file from Cache Storage (only the manifest is fetched)', async () => {
  server.requests.length = 0;
  const run = await runInPage('wasm', ['liver']);
  assert.equal(run.backend, 'wasm');
  assert.deepEqual(
    server.requests.filter((r) => r.startsWith('model/')),
    ['model/manifest.json'],
  );
});

test('in Chromium the engine runs inside a Web Worker (worker.ts + EngineClient) with the same class volumes as in Node', async () => {
  const volume = phantomVolume([24, 24, 16]);
  const [inWorker, inPage] = await Promise.all([
    browser.page.evaluate(
      ([url, v]) =>
        (
          globalThis as unknown as {
            segmentInWorker: (
              ...a: unknown[]
            ) => Promise<{ backend: string; voxels: number[]; stages: string[] }>;
          }
        ).segmentInWorker(url, v, ['liver', 'liver tumour']),
      [`${server.url}model/manifest.json`, { ...volume, voxels: Array.from(volume.voxels) }] as const,
    ),
    (await loadModel(`${server.url}model/manifest.json`, { cache: null })).segment(volume, {
      classes: ['liver', 'liver tumour'],
    }),
  ]);
  assert.equal(inWorker.backend, 'wasm');
  assert.deepEqual(
    inWorker.voxels,
    inPage.classes.map((c) => c.voxels),
  );
  for (const stage of ['download', 'preprocess', 'inference', 'postprocess'])
    assert.ok(inWorker.stages.includes(stage), stage);
});

test('in Chromium, a WebGPU device lost mid-run (GPUDevice.destroy in the worker) falls back to WASM and finishes with the same masks as Node', async () => {
  const volume = phantomVolume([100, 36, 24]);
  const classes = ['liver', 'liver tumour'];
  const run = await browser.page.evaluate(
    ([url, v, c]) =>
      (
        globalThis as unknown as {
          segmentLosingDevice: (
            ...a: unknown[]
          ) => Promise<BrowserRun & { windowsAfterLoss: number; workers: number }>;
        }
      ).segmentLosingDevice(url, v, c),
    [`${server.url}model/manifest.json`, { ...volume, voxels: Array.from(volume.voxels) }, classes] as const,
  );
  console.log(`after the loss: ${run.fallback} (${run.workers} workers)`);
  assert.match(run.adapter, /google|swiftshader/i);
  assert.ok(run.windowsAfterLoss >= 1, 'windows were left to run after the loss');
  assert.equal(run.backend, 'wasm');
  assert.match(run.fallback ?? '', /WebGPU device was lost \(destroyed.*WASM/);
  const node = await (
    await loadModel(`${server.url}model/manifest.json`, { cache: null })
  ).segment(volume, { classes, backend: 'wasm' });
  node.classes.forEach((c, i) => {
    assert.ok(c.voxels > 0, `${c.name} is segmented`);
    assert.deepEqual(
      run.classes[i]?.mask,
      Array.from(boxedToGrid(c.mask, volume.dims)),
      `${c.name}: mask after the loss differs`,
    );
  });
});
