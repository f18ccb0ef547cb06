import { EngineError, type EngineErrorCode } from './errors.ts';
import type { Manifest } from './manifest.ts';
import type { Progress, SegmentOptions, SegmentResult } from './segment.ts';
import type { RuntimeSettings } from './session.ts';
import type { Volume } from './volume.ts';
import type { EngineReply, EngineRequest, MessagePortLike } from './worker-protocol.ts';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

type Pending = {
  resolve: (reply: EngineReply) => void;
  reject: (error: Error) => void;
  onProgress?: ((progress: Progress) => void) | undefined;
};

/**
 * The caller's side of `serveEngine`: the same loadModel/segment API, the work done behind a message port
 * (typically `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`).
 */
export class EngineClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private port: MessagePortLike;
  private lastLoad: WithoutId<Extract<EngineRequest, { type: 'load' }>> | undefined;

  /**
   * `restart` (optional) makes a fresh worker: when the worker's WebGPU device is lost in a way that blocks its
   * ONNX Runtime (EngineError 'device-lost'), the client terminates it, loads the model again in a new one (from
   * the cache) and finishes the segmentation there on WASM.
   */
  constructor(
    port: MessagePortLike,
    private readonly restart?: () => MessagePortLike,
  ) {
    this.port = port;
    this.listen(port);
  }

  private listen(port: MessagePortLike) {
    port.addEventListener('message', (event: MessageEvent) => {
      if (port === this.port) this.receive(event.data as EngineReply);
    });
    port.start?.();
  }

  /** Loads (downloading or from cache, verified) the model in the worker; resolves with its manifest. */
  async loadModel(
    manifestUrl: string,
    options: {
      onProgress?: (p: Progress) => void;
      runtime?: RuntimeSettings;
      backbone?: 'fp32' | 'fp16';
    } = {},
  ): Promise<Manifest> {
    const { onProgress, ...settings } = options;
    const request = { type: 'load' as const, manifestUrl, ...settings };
    const reply = await this.send(request, onProgress);
    this.lastLoad = request;
    if (reply.type !== 'loaded') throw new Error(`unexpected reply ${reply.type}`);
    return reply.manifest;
  }

  /**
   * Segments `volume` in the worker (its voxels are copied, the caller keeps them). Aborting `options.signal`
   * cancels the work there and rejects with the signal's reason.
   */
  async segment(volume: Volume, options: SegmentOptions): Promise<SegmentResult> {
    const { signal, onProgress, ...remote } = options;
    signal?.throwIfAborted();
    let target = this.nextId;
    const cancel = () =>
      this.port.postMessage({ id: this.nextId++, type: 'cancel', target } satisfies EngineRequest);
    signal?.addEventListener('abort', cancel, { once: true });
    const run = async (opts: typeof remote) => {
      target = this.nextId++;
      const reply = await this.send({ type: 'segment', volume, options: opts }, onProgress, target);
      if (reply.type !== 'result') throw new Error(`unexpected reply ${reply.type}`);
      return reply.result;
    };
    try {
      try {
        return await run(remote);
      } catch (error) {
        if (!(error instanceof EngineError && error.code === 'device-lost' && this.restart && this.lastLoad))
          throw error;
        this.replaceWorker(this.restart());
        await this.send(this.lastLoad);
        signal?.throwIfAborted();
        const result = await run({ ...remote, backend: 'wasm' });
        return { ...result, fallback: `${error.message}; finished on WASM in a new worker` };
      }
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
  }

  /** Terminates the current worker (when it is one) and talks to `port` from now on. */
  private replaceWorker(port: MessagePortLike) {
    (this.port as { terminate?: () => void }).terminate?.();
    for (const pending of this.pending.values()) pending.reject(new Error('the engine worker was replaced'));
    this.pending.clear();
    this.port = port;
    this.listen(port);
  }

  /** Releases the worker's ONNX Runtime sessions and model. */
  async dispose(): Promise<void> {
    await this.send({ type: 'dispose' });
  }

  private send(
    request: WithoutId<EngineRequest>,
    onProgress?: (p: Progress) => void,
    id = this.nextId++,
  ): Promise<EngineReply> {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.port.postMessage({ ...request, id } as EngineRequest);
    });
  }

  private receive(reply: EngineReply) {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    if (reply.type === 'progress') {
      pending.onProgress?.(reply.progress);
      return;
    }
    this.pending.delete(reply.id);
    if (reply.type === 'error') {
      const { name, message, code } = reply.error;
      const error = code ? new EngineError(code as EngineErrorCode, message) : new Error(message);
      if (!code) error.name = name;
      pending.reject(error);
    } else pending.resolve(reply);
  }
}
