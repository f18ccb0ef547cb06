import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { EngineError } from '../../../extension/src/engine/errors.ts';
import { loadModel, type Model } from '../../../extension/src/engine/model.ts';
import { sha256Hex } from '../../../extension/src/engine/model-files.ts';
import { FolderFileCache } from '../../../extension/src/engine/node-file-cache.ts';
import type { Progress } from '../../../extension/src/engine/segment.ts';
import { ModelSessions, stackGenerators } from '../../../extension/src/engine/session.ts';
import { serveDirectory, type ModelServer } from './model-server.ts';
import { phantomVolume } from './phantom-volume.ts';
import { pythonFixture, readF32 } from './python-fixture.ts';
import { boxedToGrid } from '../../../extension/src/engine/boxed.ts';

let dir: string;
let server: ModelServer;
let model: Model;
const cacheDirs: string[] = [];

function freshCache() {
  const d = mkdtempSync(path.join(tmpdir(), 'engine-cache-'));
  cacheDirs.push(d);
  return { dir: d, cache: new FolderFileCache(d) };
}

before(async () => {
  dir = pythonFixture('tiny_model.py');
  server = await serveDirectory(dir);
  model = await loadModel(`${server.url}manifest.json`, { cache: null, runtime: { numThreads: 1 } });
});

after(async () => {
  await model.dispose();
  await server.close();
  for (const d of cacheDirs) rmSync(d, { recursive: true, force: true });
});

test('backbone + heads through onnxruntime-web (WASM) reproduce the PyTorch logits of the same model', async () => {
  const manifest = model.manifest;
  const sessions = await ModelSessions.create(
    {
      backbone: readFileSync(path.join(dir, 'backbone.onnx')),
      heads: readFileSync(path.join(dir, 'heads.onnx')),
    },
    'wasm',
  );
  try {
    const generators = stackGenerators(
      manifest.classes.map((c) => ({ name: c.name, bytes: readFileSync(path.join(dir, c.file)) })),
    );
    const logits = await sessions.run(
      readF32(path.join(dir, 'patch-input.f32')),
      2,
      [64, 64, 64],
      generators,
    );
    const expected = readF32(path.join(dir, 'patch-logits.f32'));
    assert.equal(logits.length, expected.length);
    let worst = 0;
    expected.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - (logits[i] as number)))));
    assert.ok(worst < 1e-4, `max |ORT - PyTorch| = ${worst}`);
  } finally {
    await sessions.release();
  }
});

test('segment: liver = largest component above 80 HU, tumour only inside the liver, volumes in mL, progress', async () => {
  const volume = phantomVolume();
  const stages = new Set<string>();
  const result = await model.segment(volume, {
    classes: ['Liver', 'liver tumor'],
    onProgress: (p) => stages.add(p.stage),
  });
  assert.deepEqual(result.model, { id: 'tiny-test', version: '0.0.1' });
  assert.equal(result.backend, 'wasm');
  assert.deepEqual(
    result.classes.map((c) => c.name),
    ['liver', 'liver tumour'],
  );
  const [liver, tumour] = result.classes.map((c) => boxedToGrid(c.mask, volume.dims)) as [
    Uint8Array,
    Uint8Array,
  ];
  const [liverClass] = result.classes as [(typeof result.classes)[0]];
  const hu = volume.voxels;
  const [nx] = volume.dims;
  for (let n = 0; n < hu.length; n++) {
    const x = n % nx;
    const outsideBlob = x < 28; // the 200 HU blob at x = 29..33 is a separate component
    assert.equal(liver[n], (hu[n] as number) > 80 && outsideBlob ? 1 : 0, `liver at voxel ${n}`);
    assert.equal(tumour[n], (hu[n] as number) > 165 && outsideBlob ? 1 : 0, `tumour at voxel ${n}`);
  }
  const [liverVoxels, tumourVoxels] = result.classes.map((c) => c.voxels) as [number, number];
  assert.ok(tumourVoxels > 50 && liverVoxels > tumourVoxels * 10);
  assert.deepEqual(
    result.classes.map((c) => c.voxels),
    [liver, tumour].map((m) => m.reduce((n, v) => n + v, 0)),
    'voxels counts the mask',
  );
  assert.equal(liverClass.volumeMl, (liverVoxels * 1.5 ** 3) / 1000);
  assert.ok(
    ['preprocess', 'load', 'inference', 'postprocess'].every((s) => stages.has(s)) || stages.has('inference'),
  );
  assert.ok(result.timingsMs.total >= result.timingsMs.inference);
});

test('a lesion requested alone is still confined to its organ (the organ is computed, not returned)', async () => {
  const result = await model.segment(phantomVolume(), { classes: ['liver lesion'] });
  assert.deepEqual(
    result.classes.map((c) => c.name),
    ['liver tumour'],
  );
  const withOrgan = await model.segment(phantomVolume(), { classes: ['liver tumour', 'liver'] });
  assert.deepEqual(result.classes[0]?.mask, withOrgan.classes[0]?.mask);
});

test('a 3-slice series at 5 mm segments end to end (padding to the patch) and maps back to 3 slices', async () => {
  const thin = phantomVolume([40, 36, 24]);
  const dims: [number, number, number] = [40, 36, 3];
  const voxels = thin.voxels.slice(40 * 36 * 11, 40 * 36 * 14);
  const result = await model.segment(
    { ...thin, voxels, dims, spacing: [1.5, 1.5, 5] },
    { classes: ['liver'] },
  );
  const mask = result.classes[0]?.mask;
  assert.ok(
    mask && mask.box.hi[2] <= 3 && mask.data.length > 0,
    `box ${JSON.stringify(mask?.box)} within 3 slices`,
  );
  assert.equal(boxedToGrid(mask, dims).length, 40 * 36 * 3);
  assert.ok((result.classes[0]?.voxels ?? 0) > 100);
});

test('requesting WebGPU where no adapter exists finishes on WASM and says why', async () => {
  const result = await model.segment(phantomVolume([20, 20, 8]), { classes: ['spleen'], backend: 'webgpu' });
  assert.equal(result.backend, 'wasm');
  assert.match(result.fallback ?? '', /no WebGPU adapter/);
});

test('aborting mid-inference rejects with the reason, releases the sessions, and the model still works after', async () => {
  const controller = new AbortController();
  const seen: Progress[] = [];
  await assert.rejects(
    model.segment(phantomVolume([100, 36, 24]), {
      classes: ['liver'],
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p);
        if (p.stage === 'inference' && p.done === 1) controller.abort(new Error('cancelled by the user'));
      },
    }),
    /cancelled by the user/,
  );
  const inference = seen.filter((p) => p.stage === 'inference');
  assert.equal(inference.length, 1, 'no window runs after the abort');
  assert.ok((inference[0]?.total ?? 0) > 1 && typeof inference[0]?.etaMs === 'number');
  assert.equal(model.openBackend, undefined, 'sessions released');
  const again = await model.segment(phantomVolume(), { classes: ['liver'] });
  assert.ok((again.classes[0]?.voxels ?? 0) > 0);
});

test('bad requests are refused before any work: unknown class with suggestions, non-CT volume, MR intensities tagged CT', async () => {
  await assert.rejects(model.segment(phantomVolume(), { classes: ['livr'] }), /did you mean "liver"/);
  await assert.rejects(
    model.segment({ ...phantomVolume(), modality: 'PT' }, { classes: ['liver'] }),
    (e: unknown) => e instanceof EngineError && e.code === 'not-ct',
  );
  // The phantom's HU shifted into an MR-like 0..1200 range, modality still "CT".
  const ct = phantomVolume();
  const mr = { ...ct, voxels: ct.voxels.map((hu) => hu + 1000) };
  const progress: Progress[] = [];
  await assert.rejects(
    model.segment(mr, { classes: ['liver'], onProgress: (p) => progress.push(p) }),
    (e: unknown) => e instanceof EngineError && e.code === 'not-ct' && /0\.\.1200 .*MR/.test(e.message),
  );
  assert.deepEqual(progress, [], 'refused before pre-processing');
});

test('a second load with the same cache downloads nothing but the manifest', async () => {
  const { dir: cacheDir, cache } = freshCache();
  server.requests.length = 0;
  const first = await loadModel(`${server.url}manifest.json`, { cache });
  assert.equal(server.requests.length, 1 + first.manifest.files.length);
  assert.equal(readdirSync(cacheDir).length, first.manifest.files.length);
  server.requests.length = 0;
  const progress: Progress[] = [];
  const second = await loadModel(`${server.url}manifest.json`, {
    cache,
    onProgress: (p) => progress.push(p),
  });
  assert.deepEqual(server.requests, ['manifest.json']);
  assert.equal(progress.at(-1)?.done, progress.at(-1)?.total);
  assert.equal(second.version, first.version);
});

test('a tampered file is refused (sha256 mismatch) and not cached; a tampered cache entry is re-downloaded', async () => {
  const { cache } = freshCache();
  server.alter.set('heads.onnx', (bytes) => {
    const copy = Buffer.from(bytes);
    copy[copy.length - 10] = (copy[copy.length - 10] as number) ^ 0xff;
    return copy;
  });
  try {
    await assert.rejects(
      loadModel(`${server.url}manifest.json`, { cache }),
      (e: unknown) =>
        e instanceof EngineError &&
        e.code === 'integrity' &&
        /heads\.onnx does not match the manifest/.test(e.message),
    );
    const heads = model.manifest.files.find((f) => f.path === 'heads.onnx');
    assert.equal(await cache.get(heads?.sha256 ?? ''), undefined);
  } finally {
    server.alter.clear();
  }
  const loaded = await loadModel(`${server.url}manifest.json`, { cache });
  const heads = loaded.manifest.files.find((f) => f.path === 'heads.onnx');
  await cache.put(heads?.sha256 ?? '', new Uint8Array([1, 2, 3]));
  server.requests.length = 0;
  await loadModel(`${server.url}manifest.json`, { cache });
  assert.deepEqual(server.requests, ['manifest.json', 'heads.onnx']);
});

test('a truncated download is refused, naming how many bytes arrived', async () => {
  server.alter.set('backbone.onnx', (bytes) => bytes.subarray(0, 100));
  try {
    await assert.rejects(
      loadModel(`${server.url}manifest.json`, { cache: null }),
      /backbone\.onnx is truncated: 100 of \d+ bytes/,
    );
  } finally {
    server.alter.clear();
  }
});

test('only the files a load uses are downloaded: an fp16 backbone is fetched only when asked for', async () => {
  server.alter.set('manifest.json', (bytes) => {
    const manifest = JSON.parse(bytes.toString());
    manifest.network.backboneFp16 = 'backbone.fp16.onnx';
    manifest.files.push({ path: 'backbone.fp16.onnx', bytes: 1234, sha256: 'e'.repeat(64) });
    return Buffer.from(JSON.stringify(manifest));
  });
  try {
    server.requests.length = 0;
    await loadModel(`${server.url}manifest.json`, { cache: null });
    assert.ok(!server.requests.includes('backbone.fp16.onnx'));
    await assert.rejects(
      loadModel(`${server.url}manifest.json`, { cache: null, backbone: 'fp16' }),
      (e: unknown) =>
        e instanceof EngineError &&
        e.code === 'fetch-failed' &&
        /backbone\.fp16\.onnx: HTTP 404/.test(e.message),
    );
  } finally {
    server.alter.clear();
  }
  await assert.rejects(
    loadModel(`${server.url}manifest.json`, { cache: null, backbone: 'fp16' }),
    /has no fp16 backbone/,
  );
});

test('aborting a load mid-download rejects with the reason and leaves no partial file in the cache', async () => {
  const { dir: cacheDir, cache } = freshCache();
  const controller = new AbortController();
  await assert.rejects(
    loadModel(`${server.url}manifest.json`, {
      cache,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === 'download' && p.done > 0) controller.abort(new Error('closed the viewer'));
      },
    }),
    /closed the viewer/,
  );
  // Only files that had fully arrived (and were verified) before the abort may be cached.
  const cached = readdirSync(cacheDir);
  assert.ok(cached.length < model.manifest.files.length);
  for (const name of cached) assert.equal(await sha256Hex(readFileSync(path.join(cacheDir, name))), name);
});
