// The panel's run and its results, kept outside the React root (OHIF unmounts the panel on tab switches, and
// a run or a store must go on and be shown again when the user comes back). Holds the actions: run, cancel,
// show/hide, jump, confidence view, store, retry, download.
import { useSyncExternalStore } from 'react';
import type { SeriesPlan } from '../../dicom/series-geometry.ts';
import type { Backend } from '../../engine/session.ts';
import { PANEL_ID } from '../id.ts';
import {
  showClasses,
  readClasses,
  type LayerClass,
  type LayerGrid,
  type ShownClass,
} from '../services/labelmapLayers.ts';
import {
  activeCtSeries,
  activeDicomWeb,
  cornerstoneLibraries,
  type OhifDisplaySet,
  type OhifHost,
} from '../services/ohifHost.ts';
import { runSegmentation, type RunOutput, type RunProgress } from '../services/segmentationRun.ts';
import { downloadSeg, storeSeg, writeSeg } from '../services/segStore.ts';
import { CONFIDENCE_BANDS, classConfidence, type BandKey } from '../utils/confidence.ts';
import { runErrorMessage } from '../utils/runErrorMessage.ts';
import { structureFocus } from '../utils/structureFocus.ts';
import type { ManifestClass } from '../../engine/manifest.ts';

export interface ResultClass {
  name: string;
  colour: [number, number, number];
  volumeMl: number;
  /** Where it is shown; undefined when the model found nothing of it. */
  shown?: ShownClass;
  /** LPS point "Go to" shows: the centroid of the slice where the structure is largest. */
  focus?: [number, number, number];
  visible: boolean;
}

export type SaveState =
  | { phase: 'idle' }
  | { phase: 'storing' }
  | { phase: 'stored'; message: string }
  | { phase: 'failed'; message: string; fileName: string };

/** The confidence view: whether its layers are shown, and each class's unsure volume per band (mL). */
export interface ConfidenceState {
  /** 'unavailable': the engine returned no probability maps (they would not fit in its memory limit); see message. */
  phase: 'hidden' | 'showing' | 'shown' | 'failed' | 'unavailable';
  message?: string;
  classes: { name: string; ml: Record<BandKey, number> }[];
}

export interface RunResult {
  model: { id: string; version: string };
  backend: Backend;
  fallback?: string;
  imageSource: RunOutput['imageSource'];
  totalMs: number;
  viewportId: string;
  seriesDescription: string;
  classes: ResultClass[];
  confidence: ConfidenceState;
  save: SaveState;
}

export type RunState =
  | { phase: 'idle' }
  | { phase: 'running'; progress: RunProgress }
  | { phase: 'cancelled' }
  | { phase: 'failed'; message: string }
  | { phase: 'done'; result: RunResult };

export interface RunRequest {
  manifestUrl: string;
  classes: string[];
}

/**
 * What the actions need besides the result shown: the slice plan, the model's class entries, the last SEG written,
 * and the confidence view's band masks (one layer class per class and band) and the segmentations showing them.
 */
interface RunContext {
  plan: SeriesPlan;
  grid: LayerGrid;
  displaySet: OhifDisplaySet;
  model: { id: string; version: string; classes: readonly ManifestClass[] };
  seg?: { bytes: ArrayBuffer; studyInstanceUID: string; sopInstanceUID: string; fileName: string };
  confidenceLayers: LayerClass[];
  confidenceShown: string[];
}

export interface RunSession {
  get(): RunState;
  subscribe(listener: () => void): () => void;
  run(request: RunRequest): Promise<void>;
  cancel(): void;
  setVisible(name: string, visible: boolean): void;
  jumpTo(name: string): void;
  /** Shows or removes the confidence layers (never stored in the SEG). */
  setConfidenceVisible(visible: boolean): Promise<void>;
  store(): Promise<void>;
  retry(): Promise<void>;
  download(): void;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function createRunSession(host: OhifHost): RunSession {
  let state: RunState = { phase: 'idle' };
  let abort: AbortController | undefined;
  let context: RunContext | undefined;
  const listeners = new Set<() => void>();
  const set = (next: RunState) => {
    state = next;
    listeners.forEach((l) => l());
  };
  const { services } = host;
  const deps = () => ({ segmentationService: services.segmentationService, cs: cornerstoneLibraries(host) });
  const updateResult = (change: (r: RunResult) => RunResult) => {
    if (state.phase === 'done') set({ phase: 'done', result: change(state.result) });
  };
  const setConfidence = (change: Partial<ConfidenceState>) =>
    updateResult((r) => ({ ...r, confidence: { ...r.confidence, ...change } }));
  const notify = (type: 'success' | 'error', title: string, text: string) =>
    services.uiNotificationService.show({
      title,
      message: text,
      type,
      duration: type === 'error' ? 10_000 : 4_000,
    });

  async function stow() {
    if (!context?.seg) return;
    updateResult((r) => ({ ...r, save: { phase: 'storing' } }));
    const outcome = await storeSeg(activeDicomWeb(host), context.seg);
    if (outcome.stored) {
      notify('success', 'Segmentation stored', outcome.message);
      updateResult((r) => ({ ...r, save: { phase: 'stored', message: outcome.message } }));
    } else {
      notify('error', 'Segmentation not stored', outcome.message);
      updateResult((r) => ({
        ...r,
        save: { phase: 'failed', message: outcome.message, fileName: outcome.fileName },
      }));
    }
  }

  return {
    get: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async run({ manifestUrl, classes }) {
      if (state.phase === 'running') return;
      abort = new AbortController();
      const signal = abort.signal;
      set({ phase: 'running', progress: { stage: 'Finding the CT series', fraction: 0 } });
      try {
        const { viewportId, displaySet } = activeCtSeries(services);
        const output = await runSegmentation({
          dicomWeb: activeDicomWeb(host),
          displaySet,
          cs: cornerstoneLibraries(host),
          manifestUrl,
          classes,
          signal,
          onProgress: (progress) => !signal.aborted && set({ phase: 'running', progress }),
        });
        set({ phase: 'running', progress: { stage: 'Showing the segments', fraction: 1 } });
        const { plan, manifest, result } = output;
        const entry = (name: string) => manifest.classes.find((c) => c.name === name);
        const [nx, ny] = plan.dims;
        const grid: LayerGrid = {
          columns: nx,
          sliceSize: nx * ny,
          sliceOf: new Map(plan.slices.map((s, k) => [s.sopInstanceUID, k])),
        };
        const found = result.classes.filter((c) => c.voxels > 0);
        const shown = await showClasses(
          found.map((c) => ({
            name: c.name,
            colour: entry(c.name)?.colour ?? [255, 255, 255],
            mask: c.mask,
          })),
          displaySet,
          viewportId,
          grid,
          `AI: ${manifest.id} ${manifest.version}`,
          deps(),
        );
        // OHIF's segmentation mode switches the right panel to its own segmentation tab when one is added.
        services.panelService.activatePanel(PANEL_ID, true);
        const voxelMl = plan.spacing.reduce((a, b) => a * b, 1) / 1000;
        const confidence = result.classes.flatMap((c) =>
          c.probability ? [{ name: c.name, ...classConfidence(c.probability, c.mask) }] : [],
        );
        context = {
          plan,
          grid,
          displaySet,
          model: manifest,
          confidenceLayers: confidence.flatMap((c) =>
            CONFIDENCE_BANDS.filter((band) => c.voxels[band.key] > 0).map((band) => ({
              name: `${c.name}: ${band.label}`,
              colour: [...band.colour],
              mask: c.bands[band.key],
            })),
          ),
          confidenceShown: [],
        };
        set({
          phase: 'done',
          result: {
            model: { id: manifest.id, version: manifest.version },
            backend: result.backend,
            fallback: result.fallback,
            imageSource: output.imageSource,
            totalMs: output.totalMs,
            viewportId,
            seriesDescription: displaySet.SeriesDescription ?? displaySet.SeriesInstanceUID,
            classes: result.classes.map((c) => ({
              name: c.name,
              colour: entry(c.name)?.colour ?? [255, 255, 255],
              volumeMl: c.volumeMl,
              shown: shown.find((s) => s.name === c.name),
              focus: structureFocus(c.mask, plan),
              visible: true,
            })),
            confidence: result.probabilitiesOmitted
              ? {
                  phase: 'unavailable',
                  message: `No confidence view for this run: ${result.probabilitiesOmitted}.`,
                  classes: [],
                }
              : {
                  phase: 'hidden',
                  classes: confidence.map((c) => ({
                    name: c.name,
                    ml: { included: c.voxels.included * voxelMl, 'left-out': c.voxels['left-out'] * voxelMl },
                  })),
                },
            save: { phase: 'idle' },
          },
        });
      } catch (err) {
        if (signal.aborted) set({ phase: 'cancelled' });
        else set({ phase: 'failed', message: runErrorMessage(err) });
      } finally {
        abort = undefined;
      }
    },

    cancel() {
      abort?.abort(new DOMException('The run was cancelled', 'AbortError'));
    },

    setVisible(name, visible) {
      if (state.phase !== 'done') return;
      const { viewportId } = state.result;
      const cls = state.result.classes.find((c) => c.name === name);
      if (!cls?.shown) return;
      services.segmentationService.setSegmentVisibility(
        viewportId,
        cls.shown.segmentationId,
        cls.shown.segmentIndex,
        visible,
      );
      updateResult((r) => ({
        ...r,
        classes: r.classes.map((c) => (c.name === name ? { ...c, visible } : c)),
      }));
    },

    jumpTo(name) {
      if (state.phase !== 'done') return;
      const cls = state.result.classes.find((c) => c.name === name);
      if (cls?.shown && cls.focus) {
        services.segmentationService.jumpToSegmentCenter(
          cls.shown.segmentationId,
          cls.shown.segmentIndex,
          state.result.viewportId,
          undefined,
          true,
          undefined,
          false,
          undefined,
          { world: cls.focus },
        );
      }
    },

    async setConfidenceVisible(visible) {
      if (state.phase !== 'done' || !context || state.result.confidence.phase === 'unavailable') return;
      const { viewportId, model } = state.result;
      for (const id of context.confidenceShown.splice(0)) services.segmentationService.remove(id);
      if (!visible) {
        setConfidence({ phase: 'hidden', message: undefined });
        return;
      }
      setConfidence({ phase: 'showing', message: undefined });
      try {
        const shown = await showClasses(
          context.confidenceLayers,
          context.displaySet,
          viewportId,
          context.grid,
          `AI confidence: ${model.id} ${model.version}`,
          deps(),
        );
        context.confidenceShown = [...new Set(shown.map((s) => s.segmentationId))];
        services.panelService.activatePanel(PANEL_ID, true);
        setConfidence({ phase: 'shown' });
      } catch (err) {
        setConfidence({
          phase: 'failed',
          message: `The confidence view could not be shown: ${message(err)}`,
        });
      }
    },

    async store() {
      if (state.phase !== 'done' || !context) return;
      const shown = state.result.classes.flatMap((c) => (c.shown ? [c.shown] : []));
      try {
        const masks = readClasses(shown, context.grid, deps());
        const written = writeSeg(context.plan, context.model, masks);
        context.seg = {
          bytes: written.bytes,
          studyInstanceUID: written.studyInstanceUID,
          sopInstanceUID: written.sopInstanceUID,
          fileName: `seg-${written.sopInstanceUID}.dcm`,
        };
      } catch (err) {
        const text = `The segmentation could not be written as DICOM SEG: ${message(err)}`;
        notify('error', 'Segmentation not stored', text);
        updateResult((r) => ({ ...r, save: { phase: 'failed', message: text, fileName: '' } }));
        return;
      }
      await stow();
    },

    retry: stow,

    download() {
      if (context?.seg) downloadSeg(context.seg.bytes, context.seg.fileName);
    },
  };
}

export const useRunState = (session: RunSession): RunState =>
  useSyncExternalStore(session.subscribe, session.get);
