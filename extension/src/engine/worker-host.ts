import { loadModel, type Model } from './model.ts';
import type { FileCache } from './model-files.ts';
import type { EngineReply, EngineRequest, MessagePortLike } from './worker-protocol.ts';

/**
 * Serves the engine on a message port: inside a Web Worker call `serveEngine(self)`. One model at a time (a new
 * 'load' replaces it); masks come back as transferred buffers. `cache` as in LoadOptions (default Cache Storage).
 */
export function serveEngine(port: MessagePortLike, options: { cache?: FileCache | null } = {}): void {
  let model: Model | undefined;
  const running = new Map<number, AbortController>();
  const reply = (message: EngineReply, transfer: Transferable[] = []) => port.postMessage(message, transfer);
  const fail = (id: number, error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    const code = (e as { code?: unknown }).code;
    reply({
      id,
      type: 'error',
      error: { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) },
    });
  };

  const handle = async (request: EngineRequest) => {
    switch (request.type) {
      case 'cancel':
        running.get(request.target)?.abort(new DOMException('segmentation cancelled', 'AbortError'));
        return;
      case 'dispose':
        await model?.dispose();
        model = undefined;
        reply({ id: request.id, type: 'done' });
        return;
      case 'load': {
        const controller = new AbortController();
        running.set(request.id, controller);
        try {
          await model?.dispose();
          model = undefined;
          model = await loadModel(request.manifestUrl, {
            ...(options.cache !== undefined ? { cache: options.cache } : {}),
            ...(request.runtime ? { runtime: request.runtime } : {}),
            ...(request.backbone ? { backbone: request.backbone } : {}),
            signal: controller.signal,
            onProgress: (progress) => reply({ id: request.id, type: 'progress', progress }),
          });
          reply({ id: request.id, type: 'loaded', manifest: model.manifest });
        } finally {
          running.delete(request.id);
        }
        return;
      }
      case 'segment': {
        if (!model) throw new Error('no model loaded: send "load" first');
        const controller = new AbortController();
        running.set(request.id, controller);
        try {
          const result = await model.segment(request.volume, {
            ...request.options,
            signal: controller.signal,
            onProgress: (progress) => reply({ id: request.id, type: 'progress', progress }),
          });
          reply(
            { id: request.id, type: 'result', result },
            result.classes.flatMap((c) =>
              [c.mask, ...(c.probability ? [c.probability] : [])].map((a) => a.data.buffer as ArrayBuffer),
            ),
          );
        } finally {
          running.delete(request.id);
        }
      }
    }
  };

  port.addEventListener('message', (event: MessageEvent) => {
    const request = event.data as EngineRequest;
    handle(request).catch((error: unknown) => fail(request.id, error));
  });
  port.start?.();
}
