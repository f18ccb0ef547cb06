// WebGPU for Node: the npm package `webgpu` (Dawn over Vulkan/Metal/D3D12) installed as `navigator.gpu`, so that
// the engine's WebGPU path (webGpuAvailable, ORT's WebGPU EP) runs outside a browser where an adapter exists.

interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

/**
 * Installs Dawn's `navigator.gpu` and asks it for an adapter. Returns the adapter's description, or why there is
 * none (package missing, no Vulkan driver, no adapter). Also works around Dawn rejecting `queue.writeBuffer` views
 * on a SharedArrayBuffer (the threaded WASM heap ORT uploads from; platform.md) by copying such views first.
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
  if (queue) {
    const write = queue.writeBuffer;
    queue.writeBuffer = function (buffer, offset, data, dataOffset, size) {
      // ORT's threaded build passes its WASM heap itself (a SharedArrayBuffer; offsets in bytes).
      if ((data as unknown) instanceof SharedArrayBuffer) {
        const from = dataOffset ?? 0;
        const bytes = new Uint8Array(data as unknown as SharedArrayBuffer, from, size).slice();
        return write.call(this, buffer, offset, bytes);
      }
      const shared = ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer;
      const copy = shared ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() : data;
      // Offsets and sizes are in elements of `data`; the copy is bytes.
      const unit = shared
        ? ((data as ArrayBufferView & { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1)
        : 1;
      return write.call(
        this,
        buffer,
        offset,
        copy,
        dataOffset === undefined ? undefined : dataOffset * unit,
        size === undefined ? undefined : size * unit,
      );
    };
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return { unavailable: 'Dawn found no WebGPU adapter (no GPU, or no Vulkan driver for it)' };
  const info = adapter.info;
  return {
    adapter: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' '),
  };
}
