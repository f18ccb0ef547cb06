// One run of the model on a CT series: the series' voxels from the active data source's DICOMweb (our dicom/
// loader, which also gives the slice plan the SEG writer needs), then the engine in a Web Worker.
import { FrameDecoder } from '../../dicom/frame-decode.ts';
import { DicomWebSource } from '../../dicom/dicomweb.ts';
import { loadSeriesVolume } from '../../dicom/load-series.ts';
import type { SeriesPlan } from '../../dicom/series-geometry.ts';
import type { Manifest } from '../../engine/manifest.ts';
import type { Progress as EngineProgress, SegmentResult } from '../../engine/segment.ts';
import { EngineClient } from '../../engine/worker-client.ts';
import type { DicomWebAccess } from './ohifHost.ts';

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

function engineClient() {
  if (!engine) {
    const worker = new Worker(new URL('../../engine/worker.ts', import.meta.url), {
      type: 'module',
      name: 'organ-tumour-ai-engine',
    });
    engine = { client: new EngineClient(worker) };
  }
  return engine;
}

export async function runSegmentation(args: {
  dicomWeb: DicomWebAccess;
  studyInstanceUID: string;
  seriesInstanceUID: string;
  manifestUrl: string;
  classes: string[];
  signal: AbortSignal;
  onProgress: (p: RunProgress) => void;
}): Promise<RunOutput> {
  const started = performance.now();
  const { signal, onProgress } = args;
  const source = new DicomWebSource({ url: args.dicomWeb.url, headers: args.dicomWeb.headers });
  const { volume, plan } = await loadSeriesVolume(source, args.studyInstanceUID, args.seriesInstanceUID, {
    decoder: new FrameDecoder(),
    signal,
    onProgress: ({ stage, done, total }) =>
      onProgress({
        stage: stage === 'metadata' ? 'Reading the series header' : `Reading the images (${done}/${total})`,
        fraction: total ? done / total : 0,
      }),
  });
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
    signal,
    onProgress: forward,
  });
  return { plan, manifest: worker.manifest, result, totalMs: performance.now() - started };
}
