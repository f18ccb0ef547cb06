import { resolveClassNames } from './class-names.ts';
import type { Manifest, ManifestClass } from './manifest.ts';
import { boxVoxels, type BoxedBytes } from './boxed.ts';
import { planOutputs, planProbabilities } from './memory.ts';
import { writeProbabilityBytes } from './probability.ts';
import { keepInside, keepLargestComponent, volumeMl, type Connectivity } from './postprocess.ts';
import { placeOnInputGrid, toModelSpace, valuesToInputBox, type InputPlacement } from './preprocess.ts';
import type { Backend, GeneratorTensors } from './session.ts';
import { slidingWindow, type PatchPredictor } from './sliding-window.ts';
import { validateVolume, type Volume } from './volume.ts';

export type Stage = 'download' | 'preprocess' | 'load' | 'inference' | 'postprocess';

/** Progress of one stage: `done` of `total` units (bytes, slices, windows or classes). */
export interface Progress {
  stage: Stage;
  done: number;
  total: number;
  etaMs?: number;
}

export interface SegmentOptions {
  /** Class names or synonyms, any case (e.g. "liver", "IVC", "liver tumor"). */
  classes: string[];
  backend?: 'auto' | 'webgpu' | 'wasm';
  /** Sliding-window overlap; default: the manifest's. */
  overlap?: number;
  /** Windows per backbone run (the ONNX batch dimension); default 1. */
  batch?: number;
  /** Connectivity for largest-component post-processing; default 26 (scipy.ndimage.label, full structure). */
  connectivity?: Connectivity;
  /**
   * Also return each class's probability map (`SegmentedClass.probability`), e.g. for a confidence view; with
   * 'if-memory-allows', only where they fit in the memory limit with the masks (else `probabilitiesOmitted` says why).
   */
  probabilities?: boolean | 'if-memory-allows';
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

/** One requested class on the input grid. */
export interface SegmentedClass {
  name: string;
  /**
   * 0/1 per input voxel in the box of the input grid the structure occupies (Volume.voxels' axis order within the
   * box; 0 outside it; an empty box when nothing was found). boxedToGrid gives the full grid.
   */
  mask: BoxedBytes;
  voxels: number;
  volumeMl: number;
  /**
   * With `probabilities`: the model's blended probability per input voxel, round(255 * sigmoid(logit)), in the box
   * of its non-zero values (which holds the mask's box); before post-processing (components, lesion-in-organ), 0
   * outside the model's crop.
   */
  probability?: BoxedBytes;
}

export interface SegmentResult {
  model: { id: string; version: string };
  /** The backend that produced the result. */
  backend: Backend;
  /** Why the backend differs from the one requested or first used (no WebGPU adapter, device lost). */
  fallback?: string;
  classes: SegmentedClass[];
  /** Why probability maps asked for 'if-memory-allows' were not returned (they would exceed the memory limit). */
  probabilitiesOmitted?: string;
  timingsMs: { preprocess: number; load: number; inference: number; postprocess: number; total: number };
}

/** What the pipeline needs from a loaded model. */
export interface SegmentContext {
  manifest: Manifest;
  /** Stacks the generators of these classes (manifest entries, in output-channel order). */
  generators(classes: ManifestClass[]): GeneratorTensors;
  /** Sessions for the requested backend; time spent creating them is reported as 'load'. */
  predictorFor(
    backend: SegmentOptions['backend'],
    generators: GeneratorTensors,
  ): Promise<{ predict: PatchPredictor; backend: () => Backend; fallback: () => string | undefined }>;
}

const now = () => performance.now();

/**
 * The full pipeline: validate, pre-process to model space, sliding-window backbone + heads with Gaussian blending,
 * threshold (sigmoid > manifest threshold, default 0.5, i.e. blended logit > 0), largest component per structure
 * (every class without `partOf`), lesions kept inside their organ, masks back onto the input grid. A lesion's organ
 * is computed even when not requested.
 */
export async function segmentVolume(
  context: SegmentContext,
  volume: Volume,
  options: SegmentOptions,
): Promise<SegmentResult> {
  const started = now();
  const { manifest } = context;
  const { signal, onProgress } = options;
  validateVolume(volume);
  const requested = resolveClassNames(options.classes, manifest.classes);
  const byName = new Map(manifest.classes.map((c) => [c.name, c]));
  const computed = [...requested];
  for (const name of requested) {
    const organ = byName.get(name)?.partOf;
    if (organ && !computed.includes(organ)) computed.push(organ);
  }
  const classes = computed.map((name) => byName.get(name) as ManifestClass);
  const { spacing } = manifest.preprocess;
  const maps = planProbabilities(
    volume,
    { requested: requested.length, computed: computed.length, spacing },
    options.probabilities ?? false,
  );

  const space = await toModelSpace(volume, manifest.preprocess, {
    signal,
    onChunk: (done, total) => onProgress?.({ stage: 'preprocess', done, total }),
  });
  const afterPreprocess = now();

  const generators = context.generators(classes);
  const predictor = await context.predictorFor(options.backend ?? 'auto', generators);
  signal?.throwIfAborted();
  const afterLoad = now();

  // sigmoid(logit) > t  <=>  logit > ln(t / (1 - t)) (0 for the default t = 0.5).
  const probability = manifest.preprocess.threshold ?? 0.5;
  const logitThreshold = Math.log(probability / (1 - probability));
  const [X, Y, Z] = space.dims;
  const plane = X * Y;
  const masks = classes.map(() => new Uint8Array(plane * Z));
  const probabilities = maps.probabilities ? classes.map(() => new Uint8Array(plane * Z)) : undefined;
  if (masks[0]?.length) {
    const inferenceStart = now();
    await slidingWindow(
      space.image,
      space.dims,
      classes.length,
      predictor.predict,
      {
        patch: manifest.preprocess.patch,
        overlap: options.overlap ?? manifest.preprocess.overlap,
        batch: options.batch ?? 1,
        blend: manifest.preprocess.blend,
        padding: manifest.preprocess.padding,
      },
      (z0, depth, c, values) => {
        const at = z0 * plane;
        const mask = masks[c] as Uint8Array;
        for (let i = 0; i < values.length; i++) mask[at + i] = (values[i] as number) > logitThreshold ? 1 : 0;
        const probability = probabilities?.[c];
        if (probability) writeProbabilityBytes(values, probability, at);
      },
      {
        signal,
        onWindows: (done, total) => {
          const elapsed = now() - inferenceStart;
          onProgress?.({ stage: 'inference', done, total, etaMs: (elapsed / done) * (total - done) });
        },
      },
    );
  }
  const afterInference = now();

  // As contseg.evaluation.postprocess: one component per structure; lesions (partOf an organ) may be many.
  masks.forEach((mask, c) => {
    if (!classes[c]?.partOf) keepLargestComponent(mask, space.dims, options.connectivity ?? 26);
  });
  masks.forEach((mask, c) => {
    const organ = classes[c]?.partOf;
    if (organ) keepInside(mask, masks[computed.indexOf(organ)] as Uint8Array);
  });
  // The results on the input grid take the boxes their structures occupy: known now, checked before allocating.
  const maskPlaces = requested.map((_, c) => placeOnInputGrid(masks[c] as Uint8Array, space, volume));
  const mapPlaces = probabilities
    ? requested.map((_, c) => placeOnInputGrid(probabilities[c] as Uint8Array, space, volume))
    : [];
  const bytes = (places: (InputPlacement | undefined)[]) =>
    places.reduce((n, p) => n + (p ? boxVoxels(p.box) : 0), 0);
  const outputs = planOutputs(
    volume,
    { requested: requested.length, computed: computed.length, spacing, probabilities: maps.probabilities },
    { masks: bytes(maskPlaces), maps: bytes(mapPlaces) },
    maps.probabilities ? (options.probabilities ?? false) : false,
  );
  const omitted = maps.omitted ?? outputs.omitted;
  const voxelMl = volumeMl(1, volume.spacing);
  const results: SegmentedClass[] = [];
  for (const [c, name] of requested.entries()) {
    signal?.throwIfAborted();
    const { boxed: mask, nonZero: voxels } = valuesToInputBox(
      masks[c] as Uint8Array,
      space,
      volume,
      maskPlaces[c],
    );
    const probability =
      outputs.probabilities &&
      probabilities &&
      valuesToInputBox(probabilities[c] as Uint8Array, space, volume, mapPlaces[c]).boxed;
    results.push({ name, mask, voxels, volumeMl: voxels * voxelMl, ...(probability ? { probability } : {}) });
    onProgress?.({ stage: 'postprocess', done: c + 1, total: requested.length });
  }
  const finished = now();
  const fallback = predictor.fallback();
  return {
    model: { id: manifest.id, version: manifest.version },
    backend: predictor.backend(),
    ...(fallback ? { fallback } : {}),
    classes: results,
    ...(omitted ? { probabilitiesOmitted: omitted } : {}),
    timingsMs: {
      preprocess: afterPreprocess - started,
      load: afterLoad - afterPreprocess,
      inference: afterInference - afterLoad,
      postprocess: finished - afterInference,
      total: finished - started,
    },
  };
}
