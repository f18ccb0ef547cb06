// One benchmark case in a fresh process (so that its peak memory is its own): a DICOM series folder is read into
// a Volume, the engine segments it with C classes on one backend, the masks are written as a DICOM SEG.
// Usage: node --import tsx test/bench/engine-case.ts '<CaseSpec as JSON>'   -> prints one CaseResult JSON line.
//        node --import tsx test/bench/engine-case.ts --probe-webgpu   -> prints Dawn's adapter or why there is none.
//        node --import tsx test/bench/engine-case.ts --conv-probe '<ConvProbeSpec>'   -> prints the probe's times.
//
// Class counts above the model's classes: class k (k >= n) is a copy of class k mod n under the name
// "<name> #<k / n + 1>" with the same generator file, so the heads graph runs C generators and C heads and every
// later stage handles C masks, exactly as for C distinct classes (the cost does not depend on the weights).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import * as ort from 'onnxruntime-web';
import { planSeries } from '../../extension/src/dicom/series-geometry.ts';
import { readPart10Image } from '../../extension/src/dicom/part10.ts';
import { buildVolume } from '../../extension/src/dicom/volume-build.ts';
import { FrameDecoder } from '../../extension/src/dicom/frame-decode.ts';
import { nodeCodecWasm } from '../../extension/src/dicom/codec-wasm-node.ts';
import { segmentCodes } from '../../extension/src/dicom/seg-codes.ts';
import { writeSegmentation } from '../../extension/src/dicom/seg-write.ts';
import { installDawn } from './dawn.ts';
import { EngineError } from '../../extension/src/engine/errors.ts';
import { summariseKernels, type KernelTime } from './results.ts';
import { parseManifest, type Manifest, type ManifestClass } from '../../extension/src/engine/manifest.ts';
import { segmentVolume } from '../../extension/src/engine/segment.ts';
import {
  chooseBackend,
  configureRuntime,
  ModelSessions,
  stackGenerators,
  type Backend,
} from '../../extension/src/engine/session.ts';

export interface CaseSpec {
  manifest: string;
  /** Folder of one CT series, one Part 10 file per slice. */
  series: string;
  classes: number;
  backend: Backend;
  threads: number;
  /** Windows per backbone run. */
  batch: number;
  /** ORT's .wasm file, handed to ORT as bytes (for ORT's browser builds bundled for Node). */
  ortWasm?: string;
  /**
   * Segment once untimed with the same sessions first (WebGPU compiles its pipelines on the first run; the
   * PyTorch baseline also times warm runs). The untimed run's time is reported as `warmupMs`.
   */
  warmup?: boolean;
  /** The backbone file: 'fp32' (default, `network.backbone`) or 'fp16' (`network.backboneFp16`). */
  backbone?: 'fp32' | 'fp16';
  /**
   * WebGPU: after the timed segmentation, one more with ORT's kernel profiling (timestamp queries, which slow the
   * run down, hence not the timed one), summarised per kernel as `kernels`.
   */
  profile?: boolean;
}

export interface CaseResult {
  backend: Backend;
  /** Set when the case ran the fp16 backbone (reports before this field ran fp32 only). */
  backbone?: 'fp16';
  /** Why the engine returned no probability maps (they would exceed its memory limit); absent: it returned them. */
  probabilitiesOmitted?: string;
  fallback?: string;
  classes: number;
  dims: [number, number, number];
  patches: number;
  ms: {
    read: number;
    load: number;
    preprocess: number;
    backbone: number;
    heads: number;
    /** Sliding-window bookkeeping: patch extraction, Gaussian blending, thresholding into masks. */
    blend: number;
    postprocess: number;
    seg: number;
    /** preprocess + inference + postprocess + SEG writing (sessions already open; reading the series excluded). */
    volume: number;
  };
  /** Bytes of the SEG (0 when every mask was empty and there was nothing to store). */
  segBytes: number;
  /** Classes with a non-empty mask. */
  found: number;
  /** Peak resident memory of this process (VmHWM), MiB. */
  peakMiB: number;
  /** The untimed first segmentation (CaseSpec.warmup), preprocess to post-processing, ms. */
  warmupMs?: number;
  /**
   * CaseSpec.profile: GPU time per WebGPU kernel in the profiled segmentation, and that run's wall time of the
   * backbone and heads sessions (GPU time far below it: time spent outside the kernels). Empty `kernels`: the
   * adapter offers no timestamp queries.
   */
  profile?: { kernels: KernelTime[]; modelMs: number };
}

/**
 * C classes: the manifest's (liver first: the 1-class case is the common "liver" prompt), then copies of them (same
 * generator file) under numbered names.
 */
export function benchClasses(manifest: Manifest, count: number): ManifestClass[] {
  const ordered = [...manifest.classes].sort(
    (a, b) => Number(b.name === 'liver') - Number(a.name === 'liver'),
  );
  const n = ordered.length;
  return Array.from({ length: count }, (_, k) => {
    const base = ordered[k % n] as ManifestClass;
    return k < n ? base : { ...base, name: `${base.name} #${Math.floor(k / n) + 1}`, synonyms: [] };
  });
}

function peakMiB(): number {
  const line = readFileSync('/proc/self/status', 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
  if (!line) throw new Error('no VmHWM in /proc/self/status');
  return Number(line[1]) / 1024;
}

async function readSeries(folder: string) {
  const images = readdirSync(folder)
    .filter((f) => f.endsWith('.dcm'))
    .map((f) => {
      const bytes = readFileSync(path.join(folder, f));
      return readPart10Image(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    });
  if (images.length === 0) throw new Error(`${folder} holds no .dcm files`);
  const plan = planSeries(images.map((i) => i.header));
  const frames = new Map(images.map((i) => [i.header.sopInstanceUID, i]));
  const volume = await buildVolume(
    plan,
    async (slice) => {
      const image = frames.get(slice.sopInstanceUID);
      if (!image) throw new Error(`no frame for ${slice.sopInstanceUID}`);
      return { bytes: image.frame, transferSyntaxUID: image.header.transferSyntaxUID ?? '' };
    },
    new FrameDecoder(nodeCodecWasm),
  );
  return { plan, volume };
}

/** ORT's threads and .wasm for a case or the conv probe, and Dawn as `navigator.gpu` for WebGPU (`what` names it). */
async function setUpRuntime(
  spec: { backend: Backend; threads: number; ortWasm?: string },
  what: string,
): Promise<void> {
  configureRuntime({ numThreads: spec.threads });
  // ORT's browser builds (the WebGPU bundle of test/bench/gpu) fetch their .wasm, which Node cannot from a file.
  if (spec.ortWasm) ort.env.wasm.wasmBinary = readFileSync(spec.ortWasm);
  if (spec.backend === 'webgpu') {
    const dawn = await installDawn();
    if ('unavailable' in dawn) throw new Error(`WebGPU ${what} without an adapter: ${dawn.unavailable}`);
  }
}

/** One more segmentation with ORT's WebGPU kernel profiling on (CaseSpec.profile); the timings of the run before it are kept. */
async function profiled(
  segment: () => Promise<unknown>,
  sessions: ModelSessions | undefined,
): Promise<CaseResult['profile']> {
  const records: Parameters<typeof summariseKernels>[0] = [];
  const saved = sessions ? { ...sessions.runMs } : undefined;
  ort.env.webgpu.profiling = { mode: 'default', ondata: (d) => void records.push(d) };
  try {
    await segment();
    // ORT reads the timestamps back after the run: let its last read-back land.
    await new Promise((resolve) => setTimeout(resolve, 1000));
  } finally {
    ort.env.webgpu.profiling = { mode: 'off' };
  }
  const run = sessions?.runMs;
  const modelMs = run && saved ? run.backbone + run.heads - saved.backbone - saved.heads : 0;
  if (run && saved) Object.assign(run, saved);
  return { kernels: summariseKernels(records), modelMs };
}

export async function runCase(spec: CaseSpec): Promise<CaseResult> {
  const started = performance.now();
  const { plan, volume } = await readSeries(spec.series);
  const read = performance.now() - started;

  const folder = path.dirname(spec.manifest);
  const base = parseManifest(JSON.parse(readFileSync(spec.manifest, 'utf8')), spec.manifest);
  const classes = benchClasses(base, spec.classes);
  const manifest: Manifest = { ...base, classes };
  const backboneFile = spec.backbone === 'fp16' ? manifest.network.backboneFp16 : manifest.network.backbone;
  if (!backboneFile) throw new Error(`${spec.manifest}: no fp16 backbone (network.backboneFp16)`);
  await setUpRuntime(spec, 'case');
  const choice = await chooseBackend(spec.backend);
  let sessions: ModelSessions | undefined;
  let patches = 0;
  try {
    const segment = () =>
      segmentVolume(
        {
          manifest,
          generators: (chosen) =>
            stackGenerators(
              chosen.map((c) => ({ name: c.name, bytes: readFileSync(path.join(folder, c.file)) })),
            ),
          predictorFor: async (_backend, generators) => {
            sessions ??= await ModelSessions.create(
              {
                backbone: readFileSync(path.join(folder, backboneFile)),
                heads: readFileSync(path.join(folder, manifest.network.heads)),
              },
              choice.backend,
            );
            const open = sessions;
            return {
              backend: () => open.backend,
              fallback: () => choice.fallback,
              predict: (input, count) => {
                patches += count;
                return open.run(input, count, manifest.preprocess.patch, generators);
              },
            };
          },
        },
        volume,
        // With probability maps where they fit the memory limit, as the viewer asks for them (its confidence view).
        {
          classes: classes.map((c) => c.name),
          backend: spec.backend,
          batch: spec.batch,
          probabilities: 'if-memory-allows',
        },
      );
    let warmupMs: number | undefined;
    if (spec.warmup) {
      const t0 = performance.now();
      await segment();
      warmupMs = performance.now() - t0;
      patches = 0;
      const ran = (sessions as ModelSessions | undefined)?.runMs;
      if (ran) Object.assign(ran, { backbone: 0, heads: 0 });
    }
    const result = await segment();
    const profile = spec.profile ? await profiled(segment, sessions) : undefined;
    const segStart = performance.now();
    const byName = new Map(classes.map((c) => [c.name, c]));
    const categories = ((base as unknown as Record<string, unknown>).categories ?? {}) as Record<
      string,
      unknown
    >;
    const found = result.classes.filter((c) => c.voxels > 0);
    // A SEG of only empty masks is refused by the writer (nothing to store), as in the viewer.
    const seg =
      found.length === 0
        ? undefined
        : writeSegmentation({
            plan,
            segments: found.map((c) => ({
              label: c.name,
              ...segmentCodes({ ...byName.get(c.name) }, categories),
              mask: c.mask,
            })),
            algorithm: result.model,
          });
    const segMs = performance.now() - segStart;
    const t = result.timingsMs;
    const run = (sessions as ModelSessions | undefined)?.runMs ?? { backbone: 0, heads: 0 };
    return {
      backend: result.backend,
      ...(spec.backbone === 'fp16' ? { backbone: 'fp16' as const } : {}),
      ...(result.probabilitiesOmitted ? { probabilitiesOmitted: result.probabilitiesOmitted } : {}),
      ...(result.fallback ? { fallback: result.fallback } : {}),
      classes: spec.classes,
      dims: volume.dims,
      patches,
      ms: {
        read,
        load: t.load,
        preprocess: t.preprocess,
        backbone: run.backbone,
        heads: run.heads,
        blend: t.inference - run.backbone - run.heads,
        postprocess: t.postprocess,
        seg: segMs,
        volume: t.preprocess + t.inference + t.postprocess + segMs,
      },
      segBytes: seg?.bytes.byteLength ?? 0,
      found: found.length,
      peakMiB: peakMiB(),
      ...(warmupMs === undefined ? {} : { warmupMs }),
      ...(profile ? { profile } : {}),
    };
  } finally {
    await (sessions as ModelSessions | undefined)?.release();
  }
}

export interface ConvProbeSpec {
  /** conv_probe.py's one-node graph: input `x`, output `y`. */
  onnx: string;
  input: number[];
  backend: Backend;
  threads: number;
  reps: number;
  ortWasm?: string;
}

/** Median ms of `reps` runs of the conv probe with ORT on one backend, after one untimed run (as PyTorch's). */
export async function runConvProbe(spec: ConvProbeSpec): Promise<{ ms: number; runsMs: number[] }> {
  await setUpRuntime(spec, 'conv probe');
  const session = await ort.InferenceSession.create(readFileSync(spec.onnx), {
    executionProviders: [spec.backend],
  });
  try {
    const data = new Float32Array(spec.input.reduce((a, b) => a * b, 1)).map((_, i) => (i % 251) / 251);
    const feeds = { x: new ort.Tensor('float32', data, spec.input) };
    const run = async () => {
      const t0 = performance.now();
      const { y } = await session.run(feeds);
      await y?.getData(); // WebGPU: the result back on the CPU, as the engine reads it
      y?.dispose();
      return performance.now() - t0;
    };
    await run();
    const runsMs = [];
    for (let i = 0; i < spec.reps; i++) runsMs.push(await run());
    const sorted = [...runsMs].sort((a, b) => a - b);
    const mid = (sorted.length - 1) / 2;
    const median = ((sorted[Math.floor(mid)] as number) + (sorted[Math.ceil(mid)] as number)) / 2;
    return { ms: median, runsMs };
  } finally {
    await session.release();
  }
}

// Run as a script (also as test/bench/gpu's bundle), never in ORT's WASM worker threads, which load this file too.
// `--probe-webgpu` prints installDawn's answer instead (the bench asks it before choosing its backends);
// `--conv-probe '<ConvProbeSpec>'` times the conv probe.
if (isMainThread && process.argv[2] === '--probe-webgpu') {
  process.stdout.write(`${JSON.stringify(await installDawn())}\n`);
} else if (isMainThread && process.argv[2] === '--conv-probe') {
  const spec = JSON.parse(process.argv[3] ?? '') as ConvProbeSpec;
  process.stdout.write(`${JSON.stringify(await runConvProbe(spec))}\n`);
} else if (isMainThread && process.argv[2]?.startsWith('{')) {
  const spec = JSON.parse(process.argv[2] ?? '') as CaseSpec;
  // A request the engine refuses for its memory limit is a result of the benchmark, not a failure of it.
  const result = await runCase(spec).catch((error: unknown) => {
    if (error instanceof EngineError && error.code === 'too-big') return { refused: error.message };
    throw error;
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
