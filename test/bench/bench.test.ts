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
import { renderMarkdown, reportName } from './report.ts';
import {
  classCostRatios,
  patchMs,
  summariseKernels,
  type BenchReport,
  type ModelBench,
  type TorchBaseline,
} from './results.ts';

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
  variant: Pick<CaseResult, 'backend' | 'backbone'> = { backend: 'wasm' },
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
    ...variant,
    classes,
    dims: [1, 1, 1],
    patches: 4,
    ms,
    segBytes: 1,
    found: 1,
    peakMiB: 1,
  };
}

const environment: BenchReport['environment'] = {
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
};

/** PyTorch's side: 1 and 32 classes, heads of `headsFlops` per class, changed by `overrides`. */
const fakeTorch = (
  headsMs: (classes: number) => number,
  headsFlops: number,
  overrides: Partial<TorchBaseline>,
): TorchBaseline => {
  const base = { torch: '2', device: 'cpu', threads: 2, weights: 'random', patch: [64, 64, 64] };
  const torch = { ...base, backboneMs: 1000, backboneFlops: 10e9, ...overrides };
  return {
    ...torch,
    results: [1, 32].map((classes) => ({
      classes,
      headsMs: headsMs(classes),
      headsImpl: 'FusedHeads',
      headsMsByImpl: {},
      headsFlops: classes * headsFlops,
      patchMs: torch.backboneMs + headsMs(classes),
    })),
  };
};

const fakeModel = (
  cases: ModelBench['cases'],
  torch: ModelBench['torch'],
  patch = [64, 64, 64],
): ModelBench => ({ id: 'm', version: '1', description: 'd', patch, cases, torch });

test('class-cost ratio: time(most classes) / time(1 class) per volume, whole volume and per patch', () => {
  const model = fakeModel(
    [
      fakeCase('a', 1, 100, 40),
      fakeCase('a', 32, 150, 60),
      fakeCase('a', 4, 110, 44),
      fakeCase('b', 1, 10, 4),
    ],
    { unavailable: 'not run' },
  );
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
  const torch = fakeTorch((c) => c, 0.1e9, {
    fullTier: {
      featureSize: 48,
      patch: [96, 96, 96],
      backboneFlops: 600e9,
      headsFlops: { '1': 0.2e9, '32': 6.4e9 },
    },
  });
  const report = renderMarkdown({
    environment,
    volumes: [],
    models: [fakeModel([fakeCase('a', 1, 100, 40), fakeCase('a', 32, 150, 60)], torch)],
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

test('fp16-backbone cases are their own variant: class cost and the PyTorch CUDA table per variant', () => {
  const fp16 = { backend: 'webgpu', backbone: 'fp16' } as const;
  const torch = fakeTorch(() => 0.5, 1e9, {
    device: 'NVIDIA H200',
    threads: 1,
    patch: [96, 96, 96],
    backboneMs: 2,
    backboneFlops: 100e9,
    backboneMsAutocastFp16: 1,
  });
  const cases = [
    fakeCase('a', 1, 100, 40, { backend: 'webgpu' }),
    fakeCase('a', 32, 110, 44, { backend: 'webgpu' }),
    fakeCase('a', 1, 50, 20, fp16),
    fakeCase('a', 32, 60, 24, fp16),
  ];
  const model = fakeModel(cases, torch, [96, 96, 96]);
  // Each variant against itself: the fp16 run's 1 class is never compared with the fp32 run's 32.
  assert.deepEqual(
    classCostRatios(model).map((r) => [r.backend, r.patchRatio]),
    [
      ['webgpu', 1.1],
      ['webgpu fp16', 1.2],
    ],
  );
  const report = renderMarkdown({ environment, volumes: [], models: [model] });
  // Per patch 10 ms (fp32) and 5 ms (fp16) against PyTorch's 2.5 ms; fp16 against autocast: 5 / (1 + 0.5).
  assert.match(
    report,
    /\| classes \| ours \(webgpu\) s\/patch \| ours \(webgpu fp16\) s\/patch \| PyTorch s\/patch/,
  );
  assert.match(report, /\| 1 +\| 0\.0100 +\| 0\.00500 +\| 0\.00250 +\| .* \| 4\.00x +\| 2\.00x +\|/);
  assert.match(
    report,
    /PyTorch's backbone under fp16 autocast: 0\.00100 s per patch; webgpu fp16 \/ PyTorch fp16 \(1 class\): 3\.33x\./,
  );
  assert.match(report, /\| a +\| webgpu fp16 \| 1 +\|/);
});

test('the conv probe section: both runtimes, their ratio, and the full tier’s such convolutions at ours’ rate against PyTorch’s backbone', () => {
  const fullTier = {
    featureSize: 48,
    patch: [96, 96, 96],
    backboneFlops: 640e9,
    fullResolutionConv3x3Flops: 440e9,
    headsFlops: {},
  };
  // The full tier's own baseline: 15 s for the backbone.
  const model = fakeModel(
    [],
    fakeTorch(() => 1, 1e9, { fullTier, backboneFlops: 640e9, backboneMs: 15000 }),
  );
  const convProbe = {
    input: [1, 48, 96, 96, 96],
    flops: 110e9,
    torchMs: 1100,
    torchDevice: 'cpu',
    backend: 'wasm',
    threads: 2,
    oursMs: 4400,
    oursRunsMs: [4400, 4500, 4300],
  };
  const report = renderMarkdown({ environment, volumes: [], models: [model], convProbe });
  assert.match(report, /one 3x3x3 Conv3d, 48 -> 48 channels, padding 1, on 96x96x96 \(110\.0 GFLOP\)/);
  // 440 / 110 GFLOP x 4.4 s = 17.6 s for those convolutions alone, more than PyTorch's 15 s backbone.
  assert.match(
    report,
    /are 440 of its 640 GFLOP per patch \(69%\); at the probe's rate they alone take ours 17\.6 s per patch, more than PyTorch's whole backbone \(15\.0 s, full-tier table below\): ours \/ PyTorch <= 1\.0 at this size needs faster convolutions/,
  );
  assert.match(report, /\| ours \(wasm\) +\| 4\.40 \| 25\.0 +\| 4\.40, 4\.50, 4\.30 \|/);
  assert.match(report, /\| PyTorch \(cpu\) +\| 1\.10 \| 100\.0 +\|/);
  assert.match(report, /\| ours \/ PyTorch +\| 4\.00x \|/);
  const failed = renderMarkdown({
    environment,
    volumes: [],
    models: [],
    convProbe: { unavailable: 'conv_probe.py failed: boom' },
  });
  assert.match(failed, /Conv probe unavailable: conv_probe\.py failed: boom/);
});

test('WebGPU kernel profile: GPU time per kernel type and program, most first, reported against the run’s wall time', () => {
  const record = (kernelType: string, programName: string, startTime: number, endTime: number) => ({
    kernelType,
    programName,
    startTime,
    endTime,
  });
  const kernels = summariseKernels([
    record('Conv', 'conv3d_naive', 0, 3e6),
    record('MatMul', 'MatMul', 3e6, 4e6),
    record('Conv', 'conv3d_naive', 4e6, 9e6),
  ]);
  assert.deepEqual(kernels, [
    { kernel: 'Conv conv3d_naive', calls: 2, ms: 8 },
    { kernel: 'MatMul MatMul', calls: 1, ms: 1 },
  ]);
  const profiledCase = {
    ...fakeCase('a', 1, 100, 40, { backend: 'webgpu' }),
    profile: { kernels, modelMs: 12 },
  };
  const unprofiled = {
    ...fakeCase('a', 32, 100, 40, { backend: 'webgpu' }),
    profile: { kernels: [], modelMs: 5 },
  };
  const report = renderMarkdown({
    environment,
    volumes: [],
    models: [fakeModel([profiledCase, unprofiled], { unavailable: 'not run' })],
  });
  assert.match(report, /a, webgpu, 1 class: in kernels 0\.00900 s of 0\.0120 s \(75%\)\./);
  assert.match(report, /\| Conv conv3d_naive \| 2 +\| 0\.00800 \| 89% +\|/);
  assert.match(
    report,
    /a, webgpu, 32 classes: no kernel times \(the adapter offers no timestamp queries\)\./,
  );
});

test('the report lists cases run without probability maps and cases the engine refused, with the engine’s reasons', () => {
  const withoutMaps = {
    ...fakeCase('ct', 13, 100, 40),
    probabilitiesOmitted: 'maps would not fit: masks only',
  };
  const model = {
    ...fakeModel([fakeCase('ct', 1, 50, 20), withoutMaps], { unavailable: 'not run' }),
    refused: [{ volume: 'ct', backend: 'wasm', classes: 32, message: 'would need about 2.5 GiB' }],
  };
  const report = renderMarkdown({ environment, volumes: [], models: [model] });
  assert.match(
    report,
    /Without probability maps \(as in the viewer\): ct, wasm, 13 classes: maps would not fit: masks only\./,
  );
  assert.match(report, /Refused by the engine: ct, wasm, 32 classes: would need about 2\.5 GiB\./);
  // The refused count has no case: the class-cost ratio compares the counts that ran (13 vs 1).
  assert.deepEqual(
    classCostRatios(model).map((r) => [r.volume, r.to]),
    [['ct', 13]],
  );
});

test('the committed benchmark reports are their JSON rendered (CPU quick and full runs, the H200 WebGPU run)', async () => {
  for (const name of ['benchmarks', 'benchmarks-full', 'benchmarks-gpu']) {
    const file = path.join(ROOT, 'docs', `${name}.md`);
    const report = JSON.parse(readFileSync(path.join(ROOT, 'docs', `${name}.json`), 'utf8')) as BenchReport;
    assert.equal(reportName(report), name, `${name}.json is a report of another kind of run`);
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
