// One run of the model on a CT series: the series' voxels as OHIF already holds them (cornerstone's cache), or,
// where the viewer lacks them, from the active data source's DICOMweb (our dicom/ loader); both give the slice plan
// the SEG writer needs. Then the engine in a Web Worker.
import { FrameDecoder } from '../../dicom/frame-decode.ts';
import { DicomWebSource } from '../../dicom/dicomweb.ts';
import { loadSeriesVolume } from '../../dicom/load-series.ts';
import type { SeriesPlan } from '../../dicom/series-geometry.ts';
import type { Manifest } from '../../engine/manifest.ts';
import type { Progress as EngineProgress, SegmentResult } from '../../engine/segment.ts';
import { EngineClient } from '../../engine/worker-client.ts';
import type { CornerstoneLibraries, DicomWebAccess, OhifDisplaySet } from './ohifHost.ts';
import { bundledCodecWasm } from './codecWasm.ts';
import { ViewerDataUnavailable, volumeFromViewer } from './viewerVolume.ts';

/** What the panel shows while a run is under way. */
export interface RunProgress {
  /** Human words for the current step. */
  stage: string;
  /** 0..1 within the current step. */
  fraction: number;
  /** Estimated time left in the step, when the engine knows it. */
  etaMs?: number;
}

export interface RunOutput {
  plan: SeriesPlan;
  manifest: Manifest;
  result: SegmentResult;
  /** Where the voxels came from: the viewer's memory, or DICOMweb (with the reason the viewer's could not serve). */
  imageSource: { from: 'viewer' } | { from: 'dicomweb'; why: string };
  /** Wall time from the click to the masks, including reading the images. */
  totalMs: number;
}

const ENGINE_STAGES: Record<EngineProgress['stage'], string> = {
  download: 'Downloading the model',
  load: 'Starting the model',
  preprocess: 'Preparing the volume',
  inference: 'Running the model',
  postprocess: 'Cleaning up the masks',
};

/** The engine worker of this page, started on first use and kept (the model stays loaded between runs). */
let engine: { client: EngineClient; manifestUrl?: string; manifest?: Manifest } | undefined;

/** A new engine worker (webpack bundles the worker from this `new Worker(new URL(...))` form). */
function startEngineWorker(): Worker {
  return new Worker(new URL('../../engine/worker.ts', import.meta.url), {
    type: 'module',
    name: 'organ-tumour-ai-engine',
  });
}

function engineClient() {
  // The restart factory lets the client finish a run in a fresh worker on WASM when the GPU device is lost.
  engine ??= { client: new EngineClient(startEngineWorker(), startEngineWorker) };
  return engine;
}

async function seriesVolume(args: {
  dicomWeb: DicomWebAccess;
  displaySet: OhifDisplaySet;
  cs: CornerstoneLibraries;
  signal: AbortSignal;
  onProgress: (p: RunProgress) => void;
}) {
  const { displaySet, signal, onProgress } = args;
  try {
    const loaded = await volumeFromViewer(displaySet, args.cs, {
      signal,
      onProgress: (done, total) =>
        onProgress({ stage: `Collecting the viewer's images (${done}/${total})`, fraction: done / total }),
    });
    return { ...loaded, imageSource: { from: 'viewer' } as const };
  } catch (err) {
    if (!(err instanceof ViewerDataUnavailable)) throw err;
    const source = new DicomWebSource({ url: args.dicomWeb.url, headers: args.dicomWeb.headers });
    const loaded = await loadSeriesVolume(source, displaySet.StudyInstanceUID, displaySet.SeriesInstanceUID, {
      decoder: new FrameDecoder(bundledCodecWasm),
      signal,
      onProgress: ({ stage, done, total }) =>
        onProgress({
          stage: stage === 'metadata' ? 'Reading the series header' : `Reading the images (${done}/${total})`,
          fraction: total ? done / total : 0,
        }),
    });
    return { ...loaded, imageSource: { from: 'dicomweb', why: err.message } as const };
  }
}

export async function runSegmentation(args: {
  dicomWeb: DicomWebAccess;
  displaySet: OhifDisplaySet;
  cs: CornerstoneLibraries;
  manifestUrl: string;
  classes: string[];
  signal: AbortSignal;
  onProgress: (p: RunProgress) => void;
}): Promise<RunOutput> {
  const started = performance.now();
  const { signal, onProgress } = args;
  const { volume, plan, imageSource } = await seriesVolume(args);
  signal.throwIfAborted();

  const worker = engineClient();
  const forward = (p: EngineProgress) =>
    onProgress({
      stage: ENGINE_STAGES[p.stage] ?? p.stage,
      fraction: p.total ? p.done / p.total : 0,
      etaMs: p.etaMs,
    });
  if (worker.manifestUrl !== args.manifestUrl || !worker.manifest) {
    worker.manifest = undefined;
    worker.manifest = await worker.client.loadModel(args.manifestUrl, { onProgress: forward });
    worker.manifestUrl = args.manifestUrl;
  }
  signal.throwIfAborted();
  const result = await worker.client.segment(volume, {
    classes: args.classes,
    backend: 'auto',
    // For the confidence view (the panel reduces them to its bands at once); dropped, not the run, where they would
    // not fit in the engine's memory limit (many classes of a large volume).
    probabilities: 'if-memory-allows',
    signal,
    onProgress: forward,
  });
  return { plan, manifest: worker.manifest, result, imageSource, totalMs: performance.now() - started };
}
