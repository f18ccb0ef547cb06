// Runs a fixture script of this folder with the project's Python env (models/.venv) once per script version:
// the output lands in .cache/engine-fixtures/<script>-<sha256 prefix>/ and later runs reuse it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');

export function pythonFixture(script: string): string {
  const source = path.join(here, 'fixtures', script);
  const hash = createHash('sha256').update(readFileSync(source)).digest('hex').slice(0, 16);
  const out = path.join(repoRoot, '.cache', 'engine-fixtures', `${path.basename(script, '.py')}-${hash}`);
  const done = path.join(out, '.done');
  if (!existsSync(done)) {
    // Outputs of earlier versions of this script are stale: remove them with any half-written one.
    const parent = path.dirname(out);
    const stem = `${path.basename(script, '.py')}-`;
    if (existsSync(parent)) {
      for (const name of readdirSync(parent))
        if (name.startsWith(stem)) rmSync(path.join(parent, name), { recursive: true, force: true });
    }
    execFileSync(path.join(repoRoot, 'models/.venv/bin/python'), [source, out], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    writeFileSync(done, '');
  }
  return out;
}

/** Reads a raw little-endian float32 file. */
export function readF32(file: string): Float32Array {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
