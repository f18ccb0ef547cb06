import type { Manifest } from './manifest.ts';
import type { Progress, SegmentOptions, SegmentResult } from './segment.ts';
import type { RuntimeSettings } from './session.ts';
import type { Volume } from './volume.ts';

/** What a Worker's global scope and a MessagePort both offer. */
export interface MessagePortLike {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  start?(): void;
}

/** Segment options that cross the worker boundary (the signal and callback stay on the caller's side). */
export type RemoteSegmentOptions = Omit<SegmentOptions, 'signal' | 'onProgress'>;

export type EngineRequest =
  | { id: number; type: 'load'; manifestUrl: string; runtime?: RuntimeSettings; backbone?: 'fp32' | 'fp16' }
  | { id: number; type: 'segment'; volume: Volume; options: RemoteSegmentOptions }
  | { id: number; type: 'cancel'; target: number }
  | { id: number; type: 'dispose' };

export type EngineReply =
  | { id: number; type: 'progress'; progress: Progress }
  | { id: number; type: 'loaded'; manifest: Manifest }
  | { id: number; type: 'result'; result: SegmentResult }
  | { id: number; type: 'done' }
  | { id: number; type: 'error'; error: { name: string; message: string; code?: string } };
