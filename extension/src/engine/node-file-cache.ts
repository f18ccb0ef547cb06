import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileCache } from './model-files.ts';

/** Node cache of verified model files: one file per sha256 in `dir`, written atomically (temp file + rename). */
export class FolderFileCache implements FileCache {
  constructor(private readonly dir: string) {}

  private file(sha256: string) {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return path.join(this.dir, sha256);
  }

  async get(sha256: string) {
    try {
      return new Uint8Array(await readFile(this.file(sha256)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async put(sha256: string, bytes: Uint8Array) {
    await mkdir(this.dir, { recursive: true });
    const temp = `${this.file(sha256)}.${process.pid}.${Date.now()}.part`;
    await writeFile(temp, bytes);
    await rename(temp, this.file(sha256));
  }

  async delete(sha256: string) {
    await rm(this.file(sha256), { force: true });
  }
}
