import * as ort from 'onnxruntime-web';
import { EngineError } from './errors.ts';
import type { Vec3 } from './sliding-window.ts';

export type Backend = 'webgpu' | 'wasm';
export type BackendRequest = 'auto' | Backend;

/** Floats in one class generator file (docs/architecture.md): w1 [512][256], b1 [512], w2 [153][512], b2 [153]. */
const GENERATOR_PARTS = [512 * 256, 512, 153 * 512, 153] as const;
export const GENERATOR_FLOATS = GENERATOR_PARTS.reduce((a, b) => a + b, 0);

/** The stacked generators of the selected classes, as the heads graph takes them. */
export interface GeneratorTensors {
  classes: number;
  feeds: { gen_w1: ort.Tensor; gen_b1: ort.Tensor; gen_w2: ort.Tensor; gen_b2: ort.Tensor };
}

/** Stacks class generator files (each GENERATOR_FLOATS little-endian float32) into gen_w1 [C,512,256] etc. */
export function stackGenerators(files: { name: string; bytes: Uint8Array }[]): GeneratorTensors {
  const c = files.length;
  const parts = GENERATOR_PARTS.map((n) => new Float32Array(c * n));
  files.forEach(({ name, bytes }, k) => {
    if (bytes.byteLength !== GENERATOR_FLOATS * 4) {
      throw new EngineError(
        'manifest-invalid',
        `generator file of "${name}" has ${bytes.byteLength} bytes, expected ${GENERATOR_FLOATS * 4}`,
      );
    }
    const floats = new Float32Array(bytes.slice().buffer);
    let offset = 0;
    GENERATOR_PARTS.forEach((n, p) => {
      (parts[p] as Float32Array).set(floats.subarray(offset, offset + n), k * n);
      offset += n;
    });
  });
  const [w1, b1, w2, b2] = parts as [Float32Array, Float32Array, Float32Array, Float32Array];
  return {
    classes: c,
    feeds: {
      gen_w1: new ort.Tensor('float32', w1, [c, 512, 256]),
      gen_b1: new ort.Tensor('float32', b1, [c, 512]),
      gen_w2: new ort.Tensor('float32', w2, [c, 153, 512]),
      gen_b2: new ort.Tensor('float32', b2, [c, 153]),
    },
  };
}

export interface RuntimeSettings {
  /** WASM threads; default: ORT's choice where threads work (Node, cross-origin-isolated pages), else 1. */
  numThreads?: number;
  /** Where the ort-wasm-*.wasm/.mjs files are served from (browser builds that do not bundle them). */
  wasmPaths?: string;
}

/** Applies WASM settings to the global ORT environment (before the first session is created). */
export function configureRuntime(settings: RuntimeSettings = {}): void {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  if (settings.numThreads !== undefined) ort.env.wasm.numThreads = settings.numThreads;
  else if (isolated === false) ort.env.wasm.numThreads = 1; // SharedArrayBuffer needs cross-origin isolation
  if (settings.wasmPaths !== undefined) ort.env.wasm.wasmPaths = settings.wasmPaths;
}

interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

/** True when this context offers a WebGPU adapter (a browser or worker with WebGPU, or Node with a Dawn binding). */
export async function webGpuAvailable(): Promise<boolean> {
  const gpu = (globalThis.navigator as { gpu?: GpuLike } | undefined)?.gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

interface GpuDeviceLike {
  lost: Promise<{ reason?: string; message?: string }>;
}

/** The generator feeds uploaded once to ORT's WebGPU device, for every patch of a segmentation. */
interface GpuGenerators {
  source: GeneratorTensors;
  feeds: GeneratorTensors['feeds'];
  buffers: GPUBuffer[];
}

/** Copies each generator tensor into a GPU buffer of ORT's device and wraps it as a 'gpu-buffer' tensor. */
async function uploadGenerators(source: GeneratorTensors): Promise<GpuGenerators> {
  const device = (await ort.env.webgpu.device) as unknown as GPUDevice;
  const buffers: GPUBuffer[] = [];
  const upload = (tensor: ort.Tensor) => {
    // stackGenerators made these arrays (plain ArrayBuffers, never shared).
    const data = tensor.data as Float32Array<ArrayBuffer>;
    const buffer = device.createBuffer({
      size: Math.ceil(data.byteLength / 16) * 16,
      // ORT reads inputs as storage buffers; COPY_SRC lets it copy them like its own.
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(buffer, 0, data);
    buffers.push(buffer);
    return ort.Tensor.fromGpuBuffer(buffer, { dataType: 'float32', dims: tensor.dims });
  };
  const { gen_w1, gen_b1, gen_w2, gen_b2 } = source.feeds;
  return {
    source,
    feeds: { gen_w1: upload(gen_w1), gen_b1: upload(gen_b1), gen_w2: upload(gen_w2), gen_b2: upload(gen_b2) },
    buffers,
  };
}

/**
 * Why ONNX Runtime's WebGPU device was lost, once it has been. ORT creates its device once per JavaScript context
 * and cannot replace it, so after a loss every later run in this context uses WASM.
 */
let deviceLost: string | undefined;
/** Rejects when ORT's WebGPU device is lost: runs race it, since a run on a lost device may never settle. */
let onDeviceLost: Promise<never> | undefined;

/** Watches ORT's WebGPU device (created with the first WebGPU session) and records its loss. */
async function watchDevice(): Promise<void> {
  if (onDeviceLost) return;
  // ORT 1.30 gives the device itself here once a session exists, not the documented Promise; await takes both.
  const device = (await ort.env.webgpu.device) as unknown as GpuDeviceLike;
  onDeviceLost = device.lost.then((info) => {
    deviceLost = `the WebGPU device was lost (${info.reason ?? 'unknown'}: ${info.message || 'no message'})`;
    throw new Error(deviceLost);
  });
  onDeviceLost.catch(() => undefined); // observed by the runs that race it
}

/** The WebGPU run that was in flight when the device was lost, settled or not (ORT runs one at a time). */
let abandonedRun: Promise<unknown> | undefined;
/** How long a new session waits for that run to settle before declaring ONNX Runtime blocked. */
const ABANDONED_RUN_GRACE_MS = 3000;

/**
 * Waits (briefly) for the run abandoned at a device loss: while it is pending, ORT refuses every other run in this
 * context ("Session already started"), so only a fresh context (a new worker) can finish the job.
 */
async function awaitAbandonedRun(): Promise<void> {
  if (!abandonedRun) return;
  const settled = await Promise.race([
    abandonedRun.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ABANDONED_RUN_GRACE_MS)),
  ]);
  if (!settled) {
    throw new EngineError(
      'device-lost',
      `${deviceLost ?? 'the WebGPU device was lost'}; ONNX Runtime is still blocked in the run the device lost, ` +
        'so this context cannot continue on WASM (a new worker can)',
    );
  }
  abandonedRun = undefined;
}

/** The backend to use, and why it differs from the request when it does. */
export async function chooseBackend(
  request: BackendRequest,
): Promise<{ backend: Backend; fallback?: string }> {
  if (request === 'wasm') return { backend: 'wasm' };
  if (deviceLost) return { backend: 'wasm', fallback: `${deviceLost}; running on WASM` };
  if (await webGpuAvailable()) return { backend: 'webgpu' };
  return request === 'webgpu'
    ? { backend: 'wasm', fallback: 'WebGPU was requested but no WebGPU adapter is available here' }
    : { backend: 'wasm' };
}

/** The backbone and heads sessions on one backend. */
export class ModelSessions {
  /**
   * Wall time spent in each graph's run() since the sessions were created, in ms (for benchmarks). On WebGPU a
   * run may resolve before its GPU work finishes, so backbone time can show up under the heads.
   */
  readonly runMs = { backbone: 0, heads: 0 };
  /**
   * On WebGPU, the generators of the current segmentation, uploaded once (0.84 MB per class) instead of with every
   * heads run; replaced when another set comes, destroyed on release.
   */
  private gpuGenerators: GpuGenerators | undefined;

  private constructor(
    readonly backend: Backend,
    private readonly backbone: ort.InferenceSession,
    private readonly heads: ort.InferenceSession,
  ) {}

  static async create(
    model: { backbone: Uint8Array; heads: Uint8Array },
    backend: Backend,
  ): Promise<ModelSessions> {
    await awaitAbandonedRun();
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [backend],
      graphOptimizationLevel: 'all',
    };
    const backbone = await ort.InferenceSession.create(model.backbone, {
      ...options,
      // Keep feature and head_input on the GPU: the heads session reads them from there.
      ...(backend === 'webgpu' ? { preferredOutputLocation: 'gpu-buffer' as const } : {}),
    });
    try {
      const heads = await ort.InferenceSession.create(model.heads, options);
      if (backend === 'webgpu') await watchDevice();
      return new ModelSessions(backend, backbone, heads);
    } catch (error) {
      await backbone.release();
      throw error;
    }
  }

  /** Throws when these sessions' WebGPU device has been lost (its outputs can no longer be trusted). */
  private checkDevice(): void {
    if (this.backend === 'webgpu' && deviceLost) throw new Error(deviceLost);
  }

  /**
   * patches [count,1,Px,Py,Pz] -> logits [count,C,Px,Py,Pz] (z fastest), on the CPU. On WebGPU, rejects as soon as
   * the device is lost.
   */
  async run(
    patches: Float32Array,
    count: number,
    patch: Vec3,
    generators: GeneratorTensors,
  ): Promise<Float32Array> {
    if (this.backend !== 'webgpu' || !onDeviceLost) return this.runOnce(patches, count, patch, generators);
    this.checkDevice();
    const running = this.runOnce(patches, count, patch, generators);
    try {
      return await Promise.race([running, onDeviceLost]);
    } catch (error) {
      if (deviceLost) abandonedRun = running.catch(() => undefined);
      throw error;
    }
  }

  private async runOnce(
    patches: Float32Array,
    count: number,
    patch: Vec3,
    generators: GeneratorTensors,
  ): Promise<Float32Array> {
    const image = new ort.Tensor('float32', patches, [count, 1, ...patch]);
    const generatorFeeds = await this.generatorFeeds(generators);
    const started = performance.now();
    const backboneOut = await this.backbone.run({ image });
    const backboneDone = performance.now();
    this.runMs.backbone += backboneDone - started;
    try {
      const { feature, head_input: headInput } = backboneOut;
      if (!feature || !headInput) {
        throw new EngineError('model-output', `backbone.onnx must output "feature" and "head_input"`);
      }
      const headsOut = await this.heads.run({ feature, head_input: headInput, ...generatorFeeds });
      const logits = headsOut.logits;
      if (!logits) throw new EngineError('model-output', 'heads.onnx must output "logits"');
      const expected = [count, generators.classes, ...patch];
      if (logits.dims.join() !== expected.join()) {
        throw new EngineError('model-output', `logits are [${logits.dims}], expected [${expected}]`);
      }
      const data = (await logits.getData(true)) as Float32Array;
      this.runMs.heads += performance.now() - backboneDone;
      for (const t of Object.values(headsOut)) t.dispose();
      // A device lost during the run may have produced these numbers from destroyed buffers.
      this.checkDevice();
      return data;
    } finally {
      for (const t of Object.values(backboneOut)) t.dispose();
    }
  }

  /** The generator feeds for a heads run: as given on WASM, on the GPU (uploaded once per set) on WebGPU. */
  private async generatorFeeds(generators: GeneratorTensors): Promise<GeneratorTensors['feeds']> {
    if (this.backend !== 'webgpu') return generators.feeds;
    if (this.gpuGenerators?.source !== generators) {
      this.destroyGpuGenerators();
      this.gpuGenerators = await uploadGenerators(generators);
    }
    return this.gpuGenerators.feeds;
  }

  private destroyGpuGenerators(): void {
    this.gpuGenerators?.buffers.forEach((b) => b.destroy());
    this.gpuGenerators = undefined;
  }

  async release(): Promise<void> {
    this.destroyGpuGenerators();
    const released = Promise.all([this.backbone.release(), this.heads.release()]);
    // A lost device has already freed its buffers, and ORT's release on it may fail or never settle.
    if (this.backend === 'webgpu' && deviceLost) void released.catch(() => undefined);
    else await released;
  }
}
