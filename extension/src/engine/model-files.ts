import { EngineError } from './errors.ts';
import type { ManifestFile } from './manifest.ts';

/** Content-addressed store of verified model files (key: lowercase hex sha256). */
export interface FileCache {
  get(sha256: string): Promise<Uint8Array | undefined>;
  put(sha256: string, bytes: Uint8Array): Promise<void>;
  delete(sha256: string): Promise<void>;
}

/** Browser cache: Cache Storage (persists across page loads, shared by a page and its workers). */
export class CacheStorageFileCache implements FileCache {
  constructor(private readonly name = 'contseg-model-files') {}

  private key(sha256: string) {
    return new Request(`https://contseg.invalid/sha256/${sha256}`);
  }

  async get(sha256: string) {
    const response = await (await caches.open(this.name)).match(this.key(sha256));
    return response ? new Uint8Array(await response.arrayBuffer()) : undefined;
  }

  async put(sha256: string, bytes: Uint8Array) {
    await (
      await caches.open(this.name)
    ).put(this.key(sha256), new Response(bytes as Uint8Array<ArrayBuffer>));
  }

  async delete(sha256: string) {
    await (await caches.open(this.name)).delete(this.key(sha256));
  }
}

/** Lowercase hex SHA-256 by WebCrypto (browser, worker and Node 20). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface FetchFileOptions {
  cache?: FileCache;
  signal?: AbortSignal;
  /** Called with the number of new bytes whenever some arrive (also for a cache hit, all at once). */
  onBytes?: (bytes: number) => void;
  fetch?: typeof fetch;
}

/**
 * The bytes of one manifest-pinned file: from the cache when a verified copy is there, else downloaded from
 * `base` + path, checked for the pinned size and sha256, and then cached. A truncated, oversized or altered file
 * is refused with EngineError 'integrity' and never cached; a cached copy that no longer matches is dropped
 * and downloaded again.
 */
export async function fetchModelFile(
  base: URL,
  file: ManifestFile,
  options: FetchFileOptions = {},
): Promise<Uint8Array> {
  const { cache, signal } = options;
  const cached = await cache?.get(file.sha256);
  if (cached) {
    if (cached.byteLength === file.bytes && (await sha256Hex(cached)) === file.sha256) {
      options.onBytes?.(cached.byteLength);
      return cached;
    }
    await cache?.delete(file.sha256);
  }
  const url = new URL(file.path, base);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, signal ? { signal } : {});
  } catch (error) {
    signal?.throwIfAborted();
    throw new EngineError('fetch-failed', `could not download ${url}: ${(error as Error).message}`);
  }
  if (!response.ok || !response.body) {
    throw new EngineError(
      'fetch-failed',
      `could not download ${url}: HTTP ${response.status} ${response.statusText}`,
    );
  }
  const bytes = new Uint8Array(file.bytes);
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (error) {
      signal?.throwIfAborted();
      throw new EngineError('fetch-failed', `download of ${url} broke off: ${(error as Error).message}`);
    }
    const { done, value } = chunk;
    if (done) break;
    if (received + value.byteLength > file.bytes) {
      await reader.cancel();
      throw new EngineError(
        'integrity',
        `${file.path} is larger than the ${file.bytes} bytes the manifest pins`,
      );
    }
    bytes.set(value, received);
    received += value.byteLength;
    options.onBytes?.(value.byteLength);
  }
  if (received !== file.bytes) {
    throw new EngineError(
      'integrity',
      `${file.path} is truncated: ${received} of ${file.bytes} bytes arrived`,
    );
  }
  const digest = await sha256Hex(bytes);
  if (digest !== file.sha256) {
    throw new EngineError(
      'integrity',
      `${file.path} does not match the manifest (sha256 ${digest}, expected ${file.sha256}): refusing a corrupted or altered model file`,
    );
  }
  await cache?.put(file.sha256, bytes);
  return bytes;
}
