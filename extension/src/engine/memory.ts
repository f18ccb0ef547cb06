import { EngineError } from './errors.ts';
import { resampledSize } from './preprocess.ts';
import type { Volume } from './volume.ts';

/** The most memory one segmentation may need: a 512 x 512 x 300 CT with every class must fit (issue 5). */
export const MEMORY_LIMIT_BYTES = 2 * 1024 ** 3;

/**
 * ONNX Runtime's share (the WASM heap with the model, one batch of windows and its activations) and the runtime's
 * own: a Node process segmenting 512 x 512 x 300 with the 13-class fs12 registry model peaked ~440 MB above its
 * input, masks and model-grid arrays (docs/engine.md); rounded up.
 */
export const RUNTIME_BYTES = 700 * 1024 ** 2;

export interface MemoryPlan {
  /** Classes returned on the input grid. */
  requested: number;
  /** Classes computed on the model grid (requested + organs of requested lesions). */
  computed: number;
  /** Whether probability maps are returned too (one more byte per voxel and class). */
  probabilities: boolean;
  /** The manifest's model spacing (mm). */
  spacing: readonly number[];
}

/**
 * An upper estimate of the peak bytes of segmenting `volume`: the input voxels, per requested class one byte per
 * input voxel (two with probabilities), on the model grid the windowed image (float32), component labels (int32)
 * and a byte per computed class (two with probabilities), plus ONNX Runtime's share. Sliding-window accumulators
 * cover one slab of windows and are small beside these.
 */
export function estimatePeakBytes(volume: Volume, plan: MemoryPlan): number {
  const inputVoxels = volume.dims[0] * volume.dims[1] * volume.dims[2];
  const finest = Math.min(...plan.spacing);
  // Model-grid voxels when every axis is resampled to the finest model spacing (any RAS permutation).
  const modelVoxels = volume.dims.reduce(
    (n, d, a) => n * resampledSize(d, volume.spacing[a] as number, finest),
    1,
  );
  const perClass = plan.probabilities ? 2 : 1;
  return (
    volume.voxels.byteLength +
    inputVoxels * plan.requested * perClass +
    modelVoxels * (4 + 4 + plan.computed * perClass) +
    RUNTIME_BYTES
  );
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

/** Refuses (EngineError 'too-big', naming the limit) a segmentation whose estimated peak exceeds the limit. */
export function checkMemory(volume: Volume, plan: MemoryPlan, limit = MEMORY_LIMIT_BYTES): void {
  const bytes = estimatePeakBytes(volume, plan);
  if (bytes > limit) {
    throw new EngineError(
      'too-big',
      `segmenting ${plan.requested} class(es) of this ${volume.dims.join(' x ')} volume would need about ` +
        `${gib(bytes)}; the engine's memory limit is ${gib(limit)}: request fewer classes` +
        `${plan.probabilities ? ', no probability maps' : ''} or a smaller region`,
    );
  }
}

/**
 * Whether a segmentation returns probability maps, checked against the limit: `wanted` true or false is checked as
 * is (checkMemory); 'if-memory-allows' returns them when they fit, and otherwise drops them (with `omitted` saying
 * why) as long as the masks alone fit, so that a large volume with many classes still gets its masks.
 */
export function planProbabilities(
  volume: Volume,
  plan: Omit<MemoryPlan, 'probabilities'>,
  wanted: boolean | 'if-memory-allows',
  limit = MEMORY_LIMIT_BYTES,
): { probabilities: boolean; omitted?: string } {
  if (wanted !== 'if-memory-allows') {
    checkMemory(volume, { ...plan, probabilities: wanted }, limit);
    return { probabilities: wanted };
  }
  const withMaps = estimatePeakBytes(volume, { ...plan, probabilities: true });
  if (withMaps <= limit) return { probabilities: true };
  checkMemory(volume, { ...plan, probabilities: false }, limit);
  return {
    probabilities: false,
    omitted:
      `the probability maps of ${plan.requested} class(es) of this ${volume.dims.join(' x ')} volume would raise ` +
      `the need to about ${gib(withMaps)}, above the engine's memory limit of ${gib(limit)}: masks only`,
  };
}
