import { EngineError } from './errors.ts';
import { resampledSize } from './preprocess.ts';
import type { Volume } from './volume.ts';

/** The most memory one segmentation may need: a 512 x 512 x 300 CT with every class must fit (issue 5). */
export const MEMORY_LIMIT_BYTES = 2 * 1024 ** 3;

/**
 * ONNX Runtime's share (the WASM heap with the model, one batch of windows and its activations) and the runtime's
 * own: a Node process segmenting 512 x 512 x 300 with every class of the fs12 registry model peaked ~940 MB above its
 * input, model-grid arrays and results (creating the sessions added ~520 MB, inference ~350 MB:
 * test/extension/engine/fixtures/peak-memory.ts); rounded up.
 */
export const RUNTIME_BYTES = 1024 ** 3;

export interface MemoryPlan {
  /** Classes returned on the input grid. */
  requested: number;
  /** Classes computed on the model grid (requested + organs of requested lesions). */
  computed: number;
  /** Whether probability maps are computed and returned too (one more byte per voxel and class). */
  probabilities: boolean;
  /** The manifest's model spacing (mm). */
  spacing: readonly number[];
}

/**
 * An upper estimate of the peak bytes of segmenting `volume`: the input voxels; on the model grid the windowed image
 * (float32), component labels (int32) and a byte per computed class (two with probabilities); ONNX Runtime's share;
 * and `outputBytes`, the per-class results on the input grid (each the box its structure occupies, so known only
 * once the model has run: 0 before). Sliding-window accumulators cover one slab of windows and are small beside these.
 */
export function estimatePeakBytes(volume: Volume, plan: MemoryPlan, outputBytes = 0): number {
  const finest = Math.min(...plan.spacing);
  // Model-grid voxels when every axis is resampled to the finest model spacing (any RAS permutation).
  const modelVoxels = volume.dims.reduce(
    (n, d, a) => n * resampledSize(d, volume.spacing[a] as number, finest),
    1,
  );
  const perClass = plan.probabilities ? 2 : 1;
  return (
    volume.voxels.byteLength + modelVoxels * (4 + 4 + plan.computed * perClass) + RUNTIME_BYTES + outputBytes
  );
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

const tooBig = (need: string, bytes: number, limit: number, probabilities: boolean) =>
  new EngineError(
    'too-big',
    `${need} would need about ${gib(bytes)}; the engine's memory limit is ${gib(limit)}: request fewer classes` +
      `${probabilities ? ', no probability maps' : ''} or a smaller region`,
  );

/** Why probability maps were dropped: `which` says whose ("of 13 class(es) of this"), `bytes` the need with them. */
const mapsOmitted = (which: string, volume: Volume, bytes: number, limit: number) =>
  `the probability maps ${which} ${volume.dims.join(' x ')} volume would raise the need to about ${gib(bytes)}, ` +
  `above the engine's memory limit of ${gib(limit)}: masks only`;

/** What a segmentation returns once its memory is planned: probability maps or not, and why not if dropped. */
export interface MapsDecision {
  probabilities: boolean;
  omitted?: string;
}

/**
 * Before any work: refuses (EngineError 'too-big', naming the limit) a request whose model-grid arrays alone exceed
 * the limit, and decides on the model-grid probability maps: `wanted` true or false is checked as is;
 * 'if-memory-allows' computes them when they fit, and otherwise drops them (with `omitted` saying why) as long as
 * the masks fit, so that a large volume with many classes still gets its masks.
 */
export function planProbabilities(
  volume: Volume,
  plan: Omit<MemoryPlan, 'probabilities'>,
  wanted: boolean | 'if-memory-allows',
  limit = MEMORY_LIMIT_BYTES,
): MapsDecision {
  const request = `segmenting ${plan.requested} class(es) of this ${volume.dims.join(' x ')} volume`;
  const need = (probabilities: boolean) => estimatePeakBytes(volume, { ...plan, probabilities });
  return decide(wanted, need(true), need(false), limit, {
    refused: (bytes, probabilities) => tooBig(request, bytes, limit, probabilities),
    omitted: (bytes) => mapsOmitted(`of ${plan.requested} class(es) of this`, volume, bytes, limit),
  });
}

/**
 * After the model has run: the per-class results on the input grid need `masks` bytes, and `maps` more for the
 * probability maps (the boxes their structures occupy). Refuses when the masks do not fit; keeps or drops the maps as
 * planProbabilities does (`wanted` false when they were not computed).
 */
export function planOutputs(
  volume: Volume,
  plan: MemoryPlan,
  bytes: { masks: number; maps: number },
  wanted: boolean | 'if-memory-allows',
  limit = MEMORY_LIMIT_BYTES,
): MapsDecision {
  const request =
    `the results of ${plan.requested} class(es) of this ${volume.dims.join(' x ')} volume ` +
    `(the bounding boxes of the structures found)`;
  const need = (maps: boolean) => estimatePeakBytes(volume, plan, bytes.masks + (maps ? bytes.maps : 0));
  return decide(wanted, need(true), need(false), limit, {
    refused: (total, probabilities) => tooBig(request, total, limit, probabilities),
    omitted: (total) => mapsOmitted(`of ${plan.requested} class(es) found in this`, volume, total, limit),
  });
}

function decide(
  wanted: boolean | 'if-memory-allows',
  withMaps: number,
  masksOnly: number,
  limit: number,
  say: {
    refused: (bytes: number, probabilities: boolean) => EngineError;
    omitted: (bytes: number) => string;
  },
): MapsDecision {
  if (wanted === true && withMaps > limit) throw say.refused(withMaps, true);
  if (wanted === true) return { probabilities: true };
  if (masksOnly > limit) throw say.refused(masksOnly, false);
  if (wanted === false) return { probabilities: false };
  return withMaps <= limit
    ? { probabilities: true }
    : { probabilities: false, omitted: say.omitted(withMaps) };
}
