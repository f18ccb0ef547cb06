// Runs a fixture script of this folder with the project's Python env (models/.venv) once per version of the script
// and of its input files: the output lands in .cache/engine-fixtures/<script>-<sha256 prefix>/ and later runs reuse it. Test files run
// in parallel, so the first one to need an output builds it under a lock and the others wait for it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');

/** A lock older than this is left over from a killed run. */
const STALE_LOCK_MS = 5 * 60_000;

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Runs `fixtures/<script> OUT [...inputs]`; the output is rebuilt when the script or an input file changes. */
export function pythonFixture(script: string, inputs: string[] = []): string {
  const source = path.join(here, 'fixtures', script);
  const hasher = createHash('sha256').update(readFileSync(source));
  for (const input of inputs) hasher.update(input).update(readFileSync(input));
  const hash = hasher.digest('hex').slice(0, 16);
  const parent = path.join(repoRoot, '.cache', 'engine-fixtures');
  const stem = `${path.basename(script, '.py')}-`;
  const out = path.join(parent, `${stem}${hash}`);
  const done = path.join(out, '.done');
  const lock = `${out}.lock`;
  mkdirSync(parent, { recursive: true });
  while (!existsSync(done)) {
    try {
      mkdirSync(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { recursive: true, force: true });
      sleep(250);
      continue;
    }
    try {
      // Outputs of other versions of this script or its inputs are stale; a half-written one of this version too.
      for (const name of readdirSync(parent)) {
        if (name.startsWith(stem) && !name.endsWith('.lock'))
          rmSync(path.join(parent, name), { recursive: true, force: true });
      }
      execFileSync(path.join(repoRoot, 'models/.venv/bin/python'), [source, out, ...inputs], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      writeFileSync(done, '');
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return out;
}

/** Reads a raw little-endian float32 file. */
export function readF32(file: string): Float32Array {
  const bytes = readFileSync(file);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
