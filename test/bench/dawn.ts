// WebGPU for Node: the npm package `webgpu` (Dawn over Vulkan/Metal/D3D12) installed as `navigator.gpu`, so that
// the engine's WebGPU path (webGpuAvailable, ORT's WebGPU EP) runs outside a browser where an adapter exists.

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

type WriteBuffer = GPUQueue['writeBuffer'];

/**
 * `queue.writeBuffer` that Dawn accepts for data on a SharedArrayBuffer (ORT's threaded WASM heap, which ORT passes
 * bare or as a typed-array view; platform.md): the written range is copied to an ordinary buffer first.
 */
export function copyingSharedData(write: WriteBuffer): WriteBuffer {
  return function (this: GPUQueue, buffer, offset, data, dataOffset, size) {
    const view = ArrayBuffer.isView(data);
    const heap: unknown = view ? data.buffer : data;
    if (!(heap instanceof SharedArrayBuffer)) return write.call(this, buffer, offset, data, dataOffset, size);
    // Offsets and sizes count elements of a view, bytes of a bare buffer.
    const unit = view
      ? ((data as ArrayBufferView & { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1)
      : 1;
    const start = (view ? data.byteOffset : 0) + (dataOffset ?? 0) * unit;
    const end =
      size !== undefined ? start + size * unit : view ? data.byteOffset + data.byteLength : heap.byteLength;
    return write.call(this, buffer, offset, new Uint8Array(heap, start, end - start).slice());
  };
}

/**
 * Installs Dawn's `navigator.gpu` and asks it for an adapter. Returns the adapter's description, or why there is
 * none (package missing, no Vulkan driver, no adapter). Its `queue.writeBuffer` copies shared data first
 * (copyingSharedData).
 */
export async function installDawn(): Promise<{ adapter: string } | { unavailable: string }> {
  let dawn: DawnModule;
  try {
    dawn = (await import('webgpu')) as unknown as DawnModule;
  } catch (error) {
    return { unavailable: `the npm package "webgpu" cannot be loaded: ${(error as Error).message}` };
  }
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create([]);
  const scope = globalThis as { navigator?: { gpu?: GPU } };
  if (scope.navigator) Object.defineProperty(scope.navigator, 'gpu', { value: gpu, configurable: true });
  else scope.navigator = { gpu };
  const queue = (dawn.globals.GPUQueue as { prototype: GPUQueue } | undefined)?.prototype;
  if (queue) queue.writeBuffer = copyingSharedData(queue.writeBuffer);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { unavailable: 'Dawn found no WebGPU adapter (no GPU, or no Vulkan driver for it)' };
  const info = adapter.info;
  return {
    adapter: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' '),
  };
}
