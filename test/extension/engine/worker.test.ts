import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EngineError } from '../../../extension/src/engine/errors.ts';
import { loadModel } from '../../../extension/src/engine/model.ts';
import type { Progress } from '../../../extension/src/engine/segment.ts';
import type { Volume } from '../../../extension/src/engine/volume.ts';
import { EngineClient } from '../../../extension/src/engine/worker-client.ts';
import { serveEngine } from '../../../extension/src/engine/worker-host.ts';
import type { MessagePortLike } from '../../../extension/src/engine/worker-protocol.ts';
import { serveDirectory, type ModelServer } from './model-server.ts';
import { pythonFixture } from './python-fixture.ts';

let server: ModelServer;
let channel: MessageChannel;
let client: EngineClient;

before(async () => {
  server = await serveDirectory(pythonFixture('tiny_model.py'));
  channel = new MessageChannel();
  serveEngine(channel.port1 as unknown as MessagePortLike, { cache: null });
  client = new EngineClient(channel.port2 as unknown as MessagePortLike);
});

after(async () => {
  await client.dispose();
  channel.port1.close();
  channel.port2.close();
  await server.close();
});

/** A 0 HU slab (all foreground: 3 windows of 64 along x) holding a 150 HU ball and one air voxel (a CT range). */
function body(): Volume {
  const dims: [number, number, number] = [100, 30, 20];
  const voxels = new Int16Array(100 * 30 * 20).map((_, n) => {
    const [x, y, z] = [n % 100, Math.floor(n / 100) % 30, Math.floor(n / 3000)];
    if (n === 0) return -1000;
    return (x - 15) ** 2 + (y - 15) ** 2 + (z - 10) ** 2 < 49 ? 150 : 0;
  });
  return {
    voxels,
    dims,
    spacing: [1.5, 1.5, 1.5],
    origin: [0, 0, 0],
    direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
    modality: 'CT',
  };
}

test('through a message port the engine loads, reports progress and returns the same masks as in-thread', async () => {
  const progress: Progress[] = [];
  const manifest = await client.loadModel(`${server.url}manifest.json`, {
    onProgress: (p) => progress.push(p),
    runtime: { numThreads: 1 },
  });
  assert.equal(manifest.id, 'tiny-test');
  assert.ok(progress.some((p) => p.stage === 'download' && p.done === p.total));
  const volume = body();
  const remote = await client.segment(volume, { classes: ['liver'] });
  assert.equal(volume.voxels.length, 60000, "the caller's voxels are not transferred away");
  const local = await (
    await loadModel(`${server.url}manifest.json`, { cache: null })
  ).segment(volume, { classes: ['liver'] });
  assert.deepEqual(remote.classes[0]?.mask, local.classes[0]?.mask);
  assert.ok((remote.classes[0]?.voxels ?? 0) > 1000);
});

test('engine errors cross the port with their code', async () => {
  await assert.rejects(
    client.segment(body(), { classes: ['livr'] }),
    (e: unknown) => e instanceof EngineError && e.code === 'unknown-class' && /did you mean/.test(e.message),
  );
});

test('aborting the caller-side signal cancels the worker run; the next run succeeds', async () => {
  const controller = new AbortController();
  await assert.rejects(
    client.segment(body(), {
      classes: ['liver'],
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === 'inference') controller.abort(new Error('closed the study'));
      },
    }),
    /closed the study/,
  );
  const next = await client.segment(body(), { classes: ['liver'] });
  assert.ok((next.classes[0]?.voxels ?? 0) > 1000);
});
