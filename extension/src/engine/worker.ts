// Web Worker entry: `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`, then talk to it
// with EngineClient. Model files are cached in Cache Storage.
import { serveEngine } from './worker-host.ts';
import type { MessagePortLike } from './worker-protocol.ts';

serveEngine(globalThis as unknown as MessagePortLike);
