// The shape of docs/benchmarks.json and the figures derived from raw measurements.
import type { CaseResult } from './engine-case.ts';

export type Mode = 'quick' | 'full';

export interface TorchBaseline {
  torch: string;
  device: string;
  threads: number;
  weights: string;
  patch: number[];
  backboneMs: number;
  backboneFlops: number;
  /** On CUDA: the backbone's time under fp16 autocast (the reference for an fp16 backbone). */
  backboneMsAutocastFp16?: number;
  results: {
    classes: number;
    headsMs: number;
    headsImpl: string;
    headsMsByImpl: Record<string, number>;
    headsFlops: number;
    patchMs: number;
  }[];
  /** FLOPs of the full-tier architecture (feature size 48, 96^3 patch), counted without weights: its class-cost floor. */
  fullTier?: {
    featureSize: number;
    patch: number[];
    backboneFlops: number;
    /** Of backboneFlops: the 3x3x3 convolutions at full resolution (the conv probe's kind). */
    fullResolutionConv3x3Flops?: number;
    /** Class count (as a string) -> FLOPs of the heads of that many classes. */
    headsFlops: Record<string, number>;
  };
}

export interface VolumeInfo {
  name: string;
  dims?: [number, number, number];
  spacing?: [number, number, number];
  source?: string;
  missing?: string;
}

export interface Environment {
  date: string;
  mode: Mode;
  commit: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  loadAverage: { before: number[]; after: number[] };
  node: string;
  onnxruntimeWeb: string;
  threads: number;
  webgpu: string;
  /** Runs of each volume's class counts (the fastest kept); absent in reports older than --rounds: the mode's. */
  rounds?: number;
}

export interface ModelBench {
  id: string;
  version: string;
  description: string;
  patch: number[];
  /** The fastest of the case's rounds; `roundsVolumeMs` holds every round's volume time. */
  cases: (CaseResult & { volume: string; roundsVolumeMs?: number[] })[];
  /** Cases the engine refused for its memory limit (EngineError 'too-big'), with its message. */
  refused?: { volume: string; backend: string; backbone?: 'fp16'; classes: number; message: string }[];
  torch: TorchBaseline | { unavailable: string };
}

/** conv_probe.py's one convolution timed by both runtimes (absent in reports older than the probe). */
export type ConvProbe =
  | {
      input: number[];
      flops: number;
      torchMs: number;
      torchDevice: string;
      backend: string;
      threads: number;
      oursMs: number;
      oursRunsMs: number[];
    }
  | { unavailable: string };

export interface BenchReport {
  environment: Environment;
  volumes: VolumeInfo[];
  models: ModelBench[];
  convProbe?: ConvProbe;
}

/** GPU time of one kind of WebGPU kernel in a profiled segmentation (ORT's timestamp queries). */
export interface KernelTime {
  /** ORT's kernel type and shader program, e.g. "Conv conv3d_naive". */
  kernel: string;
  calls: number;
  ms: number;
}

/** ORT's WebGPU profiling records -> GPU time per kernel type and program, most first. */
export function summariseKernels(
  records: { kernelType: string; programName: string; startTime: number; endTime: number }[],
): KernelTime[] {
  const byKernel = new Map<string, KernelTime>();
  for (const r of records) {
    const kernel = `${r.kernelType} ${r.programName}`;
    const entry = byKernel.get(kernel) ?? { kernel, calls: 0, ms: 0 };
    entry.calls += 1;
    entry.ms += (r.endTime - r.startTime) / 1e6; // ns
    byKernel.set(kernel, entry);
  }
  return [...byKernel.values()].sort((a, b) => b.ms - a.ms);
}

/** A case's backend, with " fp16" when it ran the fp16 backbone: cases are compared within one variant. */
export const caseVariant = (c: { backend: string; backbone?: 'fp16' }): string =>
  c.backbone === 'fp16' ? `${c.backend} fp16` : c.backend;

/** Per-patch model time (backbone + heads) of a case, ms. */
export const patchMs = (c: CaseResult): number => (c.ms.backbone + c.ms.heads) / Math.max(c.patches, 1);

/** Floating-point operations per patch for `classes` classes, from the PyTorch counter (undefined without it). */
export function patchFlops(torch: ModelBench['torch'], classes: number): number | undefined {
  if ('unavailable' in torch) return undefined;
  const heads = torch.results.find((r) => r.classes === classes)?.headsFlops;
  return heads === undefined ? undefined : torch.backboneFlops + heads;
}

/**
 * time(C = most) / time(C = 1) per volume and backend variant (caseVariant), for whole-volume time and per-patch model time; and per patch
 * with the 1-class run's backbone time in both (`patchRatioSameBackbone`): the backbone runs the same graph on the
 * same input whatever the class count, so this leaves out its run-to-run noise (±15 % between processes on a shared
 * machine) and keeps what the classes add (the heads).
 */
export function classCostRatios(model: ModelBench): {
  volume: string;
  backend: string;
  from: number;
  to: number;
  volumeRatio: number;
  patchRatio: number;
  patchRatioSameBackbone: number;
}[] {
  const out = [];
  const keys = new Set(model.cases.map((c) => `${c.volume}\u0000${caseVariant(c)}`));
  for (const key of keys) {
    const [volume, backend] = key.split('\u0000') as [string, string];
    const cases = model.cases.filter((c) => c.volume === volume && caseVariant(c) === backend);
    const one = cases.find((c) => c.classes === 1);
    const most = cases.reduce<CaseResult | undefined>(
      (m, c) => (!m || c.classes > m.classes ? c : m),
      undefined,
    );
    if (!one || !most || most.classes === 1) continue;
    const backbone = one.ms.backbone / Math.max(one.patches, 1);
    out.push({
      volume,
      backend,
      from: 1,
      to: most.classes,
      volumeRatio: most.ms.volume / one.ms.volume,
      patchRatio: patchMs(most) / patchMs(one),
      patchRatioSameBackbone:
        (backbone + most.ms.heads / Math.max(most.patches, 1)) /
        (backbone + one.ms.heads / Math.max(one.patches, 1)),
    });
  }
  return out;
}
