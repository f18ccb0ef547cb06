import { EngineError } from './errors.ts';
import { parseManifest, type Manifest, type ManifestClass } from './manifest.ts';
import { CacheStorageFileCache, fetchModelFile, type FileCache } from './model-files.ts';
import { segmentVolume, type Progress, type SegmentOptions, type SegmentResult } from './segment.ts';
import {
  chooseBackend,
  configureRuntime,
  ModelSessions,
  stackGenerators,
  type Backend,
  type BackendRequest,
  type GeneratorTensors,
  type RuntimeSettings,
} from './session.ts';
import type { Volume } from './volume.ts';

export interface LoadOptions {
  /** Where verified files are kept; default Cache Storage where it exists (browsers), none elsewhere; null: none. */
  cache?: FileCache | null;
  onProgress?: (progress: Progress) => void;
  signal?: AbortSignal;
  runtime?: RuntimeSettings;
  /** Which backbone to use: 'fp32' (default) or 'fp16' (manifest `network.backboneFp16`, half the download). */
  backbone?: 'fp32' | 'fp16';
  fetch?: typeof fetch;
}

/** A loaded model: manifest checked, every file present and verified. Sessions are created on first use. */
export class Model {
  private sessions: ModelSessions | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly manifest: Manifest,
    private readonly backbonePath: string,
    private readonly files: Map<string, Uint8Array>,
  ) {}

  /** @internal used by loadModel */
  static fromVerifiedFiles(manifest: Manifest, backbonePath: string, files: Map<string, Uint8Array>): Model {
    return new Model(manifest, backbonePath, files);
  }

  get id(): string {
    return this.manifest.id;
  }

  get version(): string {
    return this.manifest.version;
  }

  /** The classes this model segments (names, synonyms, codes, colours as the manifest gives them). */
  get classes(): readonly ManifestClass[] {
    return this.manifest.classes;
  }

  /** The backend whose sessions are open, if any. */
  get openBackend(): Backend | undefined {
    return this.sessions?.backend;
  }

  /**
   * Segments `volume`. Runs one at a time per model (later calls wait). When `options.signal` aborts, the call
   * rejects with the signal's reason and the model's sessions (and their GPU buffers) are released.
   */
  segment(volume: Volume, options: SegmentOptions): Promise<SegmentResult> {
    const run = this.queue.then(() => this.segmentNow(volume, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Releases the ONNX Runtime sessions; the model stays usable (sessions are recreated on demand). */
  async dispose(): Promise<void> {
    const sessions = this.sessions;
    this.sessions = undefined;
    await sessions?.release();
  }

  private async segmentNow(volume: Volume, options: SegmentOptions): Promise<SegmentResult> {
    try {
      return await segmentVolume(
        {
          manifest: this.manifest,
          generators: (classes) =>
            stackGenerators(
              classes.map((c) => ({ name: c.name, bytes: this.files.get(c.file) as Uint8Array })),
            ),
          predictorFor: (backend, generators) =>
            this.predictor(backend ?? 'auto', generators, options.onProgress),
        },
        volume,
        options,
      );
    } catch (error) {
      if (options.signal?.aborted) {
        await this.dispose();
        throw options.signal.reason;
      }
      throw error;
    }
  }

  private async open(backend: Backend, onProgress?: (p: Progress) => void): Promise<ModelSessions> {
    if (this.sessions?.backend === backend) return this.sessions;
    await this.dispose();
    onProgress?.({ stage: 'load', done: 0, total: 1 });
    this.sessions = await ModelSessions.create(this.network(), backend);
    onProgress?.({ stage: 'load', done: 1, total: 1 });
    return this.sessions;
  }

  private network() {
    return {
      backbone: this.files.get(this.backbonePath) as Uint8Array,
      heads: this.files.get(this.manifest.network.heads) as Uint8Array,
    };
  }

  /** A patch predictor that falls back from WebGPU to WASM (and finishes) if the GPU fails mid-run. */
  private async predictor(
    request: BackendRequest,
    generators: GeneratorTensors,
    onProgress?: (p: Progress) => void,
  ) {
    const choice = await chooseBackend(request);
    let fallback = choice.fallback;
    let sessions = await this.open(choice.backend, onProgress);
    const patch = this.manifest.preprocess.patch;
    return {
      backend: () => sessions.backend,
      fallback: () => fallback,
      predict: async (patches: Float32Array, count: number) => {
        try {
          return await sessions.run(patches, count, patch, generators);
        } catch (error) {
          if (sessions.backend !== 'webgpu' || error instanceof EngineError) throw error;
          fallback = `WebGPU failed during inference (${(error as Error).message}); finished on WASM`;
          sessions = await this.open('wasm');
          return await sessions.run(patches, count, patch, generators);
        }
      },
    };
  }
}

/**
 * Loads a model directory: fetches and validates manifest.json, then the files this load uses (the chosen
 * backbone, heads and all class generators) from the cache or the network, verifying size and sha256.
 * Progress: stage 'download' in bytes.
 */
export async function loadModel(manifestUrl: string | URL, options: LoadOptions = {}): Promise<Model> {
  const { signal } = options;
  const doFetch = options.fetch ?? fetch;
  const cache = options.cache === null ? undefined : (options.cache ?? defaultCache());
  configureRuntime(options.runtime);
  const url = new URL(manifestUrl, (globalThis as { location?: { href: string } }).location?.href);
  let text: string;
  try {
    const response = await doFetch(url, signal ? { signal } : {});
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    text = await response.text();
  } catch (error) {
    signal?.throwIfAborted();
    throw new EngineError(
      'fetch-failed',
      `could not download the manifest ${url}: ${(error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new EngineError('manifest-invalid', `${url} is not JSON: ${(error as Error).message}`);
  }
  const manifest = parseManifest(json, url.href);
  const backbonePath =
    options.backbone === 'fp16' ? manifest.network.backboneFp16 : manifest.network.backbone;
  if (!backbonePath) {
    throw new EngineError(
      'manifest-invalid',
      `${url.href}: the model has no fp16 backbone (network.backboneFp16)`,
    );
  }
  // Only what this load uses: the chosen backbone, the heads graph and every class generator.
  const needed = new Set([backbonePath, manifest.network.heads, ...manifest.classes.map((c) => c.file)]);
  const wanted = manifest.files.filter((f) => needed.has(f.path));
  const total = wanted.reduce((sum, f) => sum + f.bytes, 0);
  let done = 0;
  const files = new Map<string, Uint8Array>();
  for (const file of wanted) {
    const bytes = await fetchModelFile(url, file, {
      ...(cache ? { cache } : {}),
      ...(signal ? { signal } : {}),
      fetch: doFetch,
      onBytes: (n) => {
        done += n;
        options.onProgress?.({ stage: 'download', done, total });
      },
    });
    files.set(file.path, bytes);
  }
  return Model.fromVerifiedFiles(manifest, backbonePath, files);
}

function defaultCache(): FileCache | undefined {
  return typeof caches === 'undefined' ? undefined : new CacheStorageFileCache();
}
