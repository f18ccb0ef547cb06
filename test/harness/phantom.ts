// The project's synthetic CT phantom (models/contseg/phantom, Python) as DICOM files for the demo and tests.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './viewer-server.ts';

export const VENV_PYTHON = path.join(REPO_ROOT, 'models', '.venv', 'bin', 'python');
const PHANTOM_MAIN = path.join(REPO_ROOT, 'models', 'contseg', 'phantom', '__main__.py');

/** Why the phantom cannot be generated here, or undefined when it can. */
export function phantomUnavailable(): string | undefined {
  if (!existsSync(VENV_PYTHON)) return `no Python environment at ${VENV_PYTHON} (run bash .ci/setup)`;
  if (!existsSync(PHANTOM_MAIN)) return `the phantom CLI (python -m contseg.phantom) does not exist yet`;
  return undefined;
}

/** Runs `python -m contseg.phantom --seed <seed> --out <outDir> --no-nifti`; resolves when it exits 0. */
export function generatePhantom(outDir: string, seed = 7): Promise<void> {
  const args = ['-m', 'contseg.phantom', '--seed', String(seed), '--out', outDir, '--no-nifti'];
  return new Promise((resolve, reject) => {
    const child = spawn(VENV_PYTHON, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`python ${args.join(' ')} exited with ${code}:\n${output.slice(-2000)}`));
    });
  });
}
