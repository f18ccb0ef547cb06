// The benchmark's class sets and derived figures: 32 classes from a 13-class model are 32 distinct names the
// engine resolves, each running an existing generator file; the class-cost ratio compares 1 with the most classes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as prettier from 'prettier';
import { resolveClassNames } from '../../extension/src/engine/class-names.ts';
import { parseManifest } from '../../extension/src/engine/manifest.ts';
import { copyingSharedData } from './dawn.ts';
import { benchClasses, type CaseResult } from './engine-case.ts';
import { renderMarkdown } from './report.ts';
import { classCostRatios, patchMs, type BenchReport, type ModelBench } from './results.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MANIFEST = path.join(ROOT, 'models/registry/abdomen-fast/manifest.json');
const manifest = parseManifest(JSON.parse(readFileSync(MANIFEST, 'utf8')), MANIFEST);

test('32 bench classes from the registry model: liver first, unique names the engine resolves, existing files', () => {
  const n = manifest.classes.length;
  const classes = benchClasses(manifest, 32);
  assert.equal(classes.length, 32);
  assert.equal(classes[0]?.name, 'liver');
  assert.equal(new Set(classes.map((c) => c.name)).size, 32);
  const files = new Set(manifest.classes.map((c) => c.file));
  assert.ok(classes.every((c) => files.has(c.file)));
  // Class k >= n is a copy of class k mod n: same generator, numbered name.
  assert.equal(classes[n]?.file, classes[0]?.file);
  assert.equal(classes[n]?.name, 'liver #2');
  const names = classes.map((c) => c.name);
  assert.deepEqual(resolveClassNames(names, classes), names);
  assert.deepEqual(
    benchClasses(manifest, 1).map((c) => c.name),
    ['liver'],
  );
});

function fakeCase(
  volume: string,
  classes: number,
  volumeMs: number,
  modelMs: number,
): ModelBench['cases'][0] {
  const ms: CaseResult['ms'] = {
    read: 0,
    load: 0,
    preprocess: 0,
    backbone: modelMs * 0.75,
    heads: modelMs * 0.25,
    blend: 0,
    postprocess: 0,
    seg: 0,
    volume: volumeMs,
  };
  return {
    volume,
    backend: 'wasm',
    classes,
    dims: [1, 1, 1],
    patches: 4,
    ms,
    segBytes: 1,
    found: 1,
    peakMiB: 1,
  };
}

test('class-cost ratio: time(most classes) / time(1 class) per volume, whole volume and per patch', () => {
  const model: ModelBench = {
    id: 'm',
    version: '1',
    description: '',
    patch: [64, 64, 64],
    cases: [
      fakeCase('a', 1, 100, 40),
      fakeCase('a', 32, 150, 60),
      fakeCase('a', 4, 110, 44),
      fakeCase('b', 1, 10, 4),
    ],
    torch: { unavailable: 'not run' },
  };
  assert.equal(patchMs(model.cases[0] as CaseResult), 10);
  const ratios = classCostRatios(model);
  assert.equal(ratios.length, 1); // volume b has no second class count
  assert.deepEqual(
    {
      to: ratios[0]?.to,
      volume: ratios[0]?.volumeRatio,
      patch: ratios[0]?.patchRatio,
      sameBackbone: ratios[0]?.patchRatioSameBackbone,
    },
    // Same backbone (30 ms / 4 patches) in both: (7.5 + 15 / 4) / (7.5 + 10 / 4).
    { to: 32, volume: 1.5, patch: 1.5, sameBackbone: 1.125 },
  );
});

test('the report states the FLOP floor of the class-cost ratio for the model and for the full tier', () => {
  const torch = {
    torch: '2',
    device: 'cpu',
    threads: 2,
    weights: 'random',
    patch: [64, 64, 64],
    backboneMs: 1000,
    backboneFlops: 10e9,
    results: [1, 32].map((classes) => ({
      classes,
      headsMs: classes,
      headsImpl: 'FusedHeads',
      headsMsByImpl: {},
      headsFlops: classes * 0.1e9,
      patchMs: 1000 + classes,
    })),
    fullTier: {
      featureSize: 48,
      patch: [96, 96, 96],
      backboneFlops: 600e9,
      headsFlops: { '1': 0.2e9, '32': 6.4e9 },
    },
  };
  const report = renderMarkdown({
    environment: {
      date: '2026-01-01',
      mode: 'quick',
      commit: 'c',
      cpu: 'cpu',
      cores: 2,
      memoryGiB: 1,
      loadAverage: { before: [1, 1, 1], after: [1, 1, 1] },
      node: 'v20',
      onnxruntimeWeb: '1',
      threads: 2,
      webgpu: 'unavailable',
    },
    volumes: [],
    models: [
      {
        id: 'm',
        version: '1',
        description: 'd',
        patch: [64, 64, 64],
        cases: [fakeCase('a', 1, 100, 40), fakeCase('a', 32, 150, 60)],
        torch,
      },
    ],
  });
  // (10 + 3.2) / (10 + 0.1) and (600 + 6.4) / (600 + 0.2).
  assert.match(report, /per patch, at equal efficiency of heads and backbone: 1\.307 for this model/);
  assert.match(
    report,
    /Full tier \(feature size 48, 96x96x96 patch.*heads 0\.200 GFLOP per class, floor 1\.010\./,
  );
  assert.match(
    report,
    /Measured here \(a, wasm\): 1\.50 per patch \(1\.125 with the same backbone time\), 1\.50 per volume\./,
  );
  assert.match(report, /The target <= 1\.05 is below this model's floor/);
});

test('the committed benchmark reports are their JSON rendered (CPU run and the H200 WebGPU run)', async () => {
  for (const name of ['benchmarks', 'benchmarks-gpu']) {
    const file = path.join(ROOT, 'docs', `${name}.md`);
    const report = JSON.parse(readFileSync(path.join(ROOT, 'docs', `${name}.json`), 'utf8')) as BenchReport;
    const options = (await prettier.resolveConfig(file)) ?? {};
    const rendered = await prettier.format(renderMarkdown(report), { ...options, filepath: file });
    assert.equal(rendered, readFileSync(file, 'utf8'), `${file} differs from its JSON rendered`);
  }
  // The GPU run says how its WebGPU cases ran and why they are slower than PyTorch CUDA.
  const gpu = readFileSync(path.join(ROOT, 'docs/benchmarks-gpu.md'), 'utf8');
  assert.match(gpu, /Written by `bash test\/bench\/gpu\/run\.sh`/);
  assert.match(gpu, /timed after one untimed warm-up segmentation/);
  assert.match(gpu, /naive Conv3D shader/);
});

test('writeBuffer for Dawn: data on a SharedArrayBuffer, bare or viewed, arrives as a copy of the written range', () => {
  const calls: { bytes: number[] | undefined; passed: unknown[] }[] = [];
  const write = copyingSharedData(function (_buffer, _offset, data, ...rest) {
    const shared = (ArrayBuffer.isView(data) ? data.buffer : data) instanceof SharedArrayBuffer;
    assert.equal(shared, false, 'Dawn must never see a SharedArrayBuffer');
    calls.push({
      bytes: data instanceof Uint8Array ? Array.from(data as Uint8Array) : undefined,
      passed: [data, ...rest],
    });
  } as GPUQueue['writeBuffer']);
  const heap = new SharedArrayBuffer(16);
  new Uint8Array(heap).forEach((_, i, a) => (a[i] = i));
  const queue = {} as GPUQueue;
  const buffer = {} as GPUBuffer;
  // WebGPU's types exclude views on shared memory, which is what ORT passes at run time.
  const asSource = (v: ArrayBufferView) => v as unknown as GPUAllowSharedBufferSource;
  write.call(queue, buffer, 0, heap, 2, 3); // bare heap: offsets in bytes (ORT's threaded build, seen on the H200)
  write.call(queue, buffer, 0, asSource(new Uint16Array(heap, 4, 4)), 1, 2); // a view: offsets in elements
  write.call(queue, buffer, 0, asSource(new Uint8Array(heap, 12))); // a view to its end
  assert.deepEqual(
    calls.map((c) => c.bytes),
    [
      [2, 3, 4],
      [6, 7, 8, 9],
      [12, 13, 14, 15],
    ],
  );
  const plain = new Float32Array(4);
  write.call(queue, buffer, 8, plain, 1, 2); // ordinary memory passes unchanged
  assert.deepEqual(calls.at(-1)?.passed, [plain, 1, 2]);
});
