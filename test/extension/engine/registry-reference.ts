// The registry model and the Python evaluation's masks of it on the real CT in ../shared/data (built once per
// version of the model, the CT and fixtures/registry_reference.py), for the engine's parity tests.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Volume } from '../../../extension/src/engine/volume.ts';
import { pythonFixture, repoRoot } from './python-fixture.ts';

const SHARED_CT = path.resolve(repoRoot, '../shared/data/ct/totalseg-example');
const CT = path.join(SHARED_CT, 'ct.nii.gz');
const LABELS = path.join(SHARED_CT, 'labels.nii.gz');

/** Why the parity tests cannot run here (no ../shared beside the checkout), or false when they can. */
export const sharedDataMissing: string | false =
  existsSync(CT) && existsSync(LABELS)
    ? false
    : `the real CT ${CT} is absent (../shared/data is not beside this checkout)`;

/** The first model of models/registry/index.json: its folder and manifest path. */
export function registryModel(): { dir: string; manifest: string } {
  const registry = path.join(repoRoot, 'models/registry');
  const index = JSON.parse(readFileSync(path.join(registry, 'index.json'), 'utf8')) as {
    models: { path: string }[];
  };
  const entry = index.models[0];
  if (!entry) throw new Error(`${registry}/index.json lists no model`);
  const manifest = path.join(registry, entry.path);
  return { dir: path.dirname(manifest), manifest };
}

export interface ReferenceCase {
  volume: Volume;
  /** Manifest classes in order, with the Python evaluation's voxel count on the input grid. */
  classes: { name: string; voxels: number }[];
  /** The Python evaluation's mask of class `c`, on the input grid in Volume.voxels order. */
  mask(c: number): Uint8Array;
  /** Sliding windows the Python evaluation ran. */
  windows: number;
}

/** The reference folder: `<case>.i16`, `<case>.json`, `<case>-masks.u8` for the cases 'full' and 'crop'. */
export function referenceFolder(): string {
  return pythonFixture('registry_reference.py', [registryModel().manifest, CT, LABELS]);
}

/** One reference case: 'full' (the whole CT) or 'crop' (a one-window sub-volume around the liver). */
export function readReferenceCase(name: 'full' | 'crop'): ReferenceCase {
  const dir = referenceFolder();
  const geometry = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Omit<
    Volume,
    'voxels' | 'modality'
  > & { windows: number; classes: { name: string; voxels: number }[] };
  const raw = readFileSync(path.join(dir, `${name}.i16`));
  const voxels = new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const masks = new Uint8Array(readFileSync(path.join(dir, `${name}-masks.u8`)));
  const size = voxels.length;
  return {
    volume: {
      voxels,
      dims: geometry.dims,
      spacing: geometry.spacing,
      origin: geometry.origin,
      direction: geometry.direction,
      modality: 'CT',
    },
    classes: geometry.classes,
    mask: (c) => masks.subarray(c * size, (c + 1) * size),
    windows: geometry.windows,
  };
}
