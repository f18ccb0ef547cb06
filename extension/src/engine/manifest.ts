import Ajv2020, { type ErrorObject } from 'ajv/dist/2020.js';
import schema from '../../../models/registry/manifest.schema.json';
import { EngineError } from './errors.ts';

/** One file of the model directory, as the manifest pins it. */
export interface ManifestFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** A DICOM code (scheme SCT). */
export interface ManifestCode {
  scheme: 'SCT';
  value: string;
  meaning: string;
}

/** A class the model segments (models/registry/manifest.schema.json `$defs/class`). */
export interface ManifestClass {
  name: string;
  slug: string;
  label: number;
  prompt: string;
  synonyms: string[];
  /** Catalogue group (organs, gi tract, vessels, tumours). */
  group: string;
  category: ManifestCode;
  type: ManifestCode;
  region?: ManifestCode;
  colour: [number, number, number];
  step: number;
  /**
   * The organ a lesion class lies in (its voxels are kept only inside that organ's mask). Classes without one are
   * single structures: only their largest connected component is kept.
   */
  partOf?: string;
  embedding: 'clip' | 'learned' | 'one-hot';
  /** Folded generator weights (docs/architecture.md), a path listed in `files`. */
  file: string;
}

export interface ManifestPreprocess {
  orientation: 'RAS';
  spacing: [number, number, number];
  window: [number, number];
  patch: [number, number, number];
  overlap: number;
  blend: 'gaussian' | 'constant';
  /** How a volume smaller than the patch is padded ('constant' 0 when absent; see SlidingWindowSpec.padding). */
  padding?: 'constant' | 'replicate';
  foregroundCrop: { enabled: boolean; threshold: number };
  /** Probability threshold of a mask; 0.5 when absent. */
  threshold?: number;
}

/** models/registry/<id>/manifest.json, format contseg-manifest/1 (fields the engine does not read stay loosely typed). */
export interface Manifest {
  format: 'contseg-manifest/1';
  id: string;
  version: string;
  description?: string;
  license?: string;
  parent: { id: string; version: string } | null;
  steps: {
    index: number;
    name: string;
    kind: 'full' | 'head-only';
    classes: string[];
    data: string;
    iterations?: number;
  }[];
  preprocess: ManifestPreprocess;
  network: {
    backbone: string;
    backboneFp16?: string;
    heads: string;
    opset: number;
    featureSize: number;
    parameters: number;
  };
  heads: { featureDim: 256; hiddenDim: 512; paramCount: 153; channels: 8 };
  classes: ManifestClass[];
  files: ManifestFile[];
  training: { data: string; hardware: string; time: number; seed: number };
  metrics?: Record<string, unknown>;
  export?: Record<string, unknown>;
}

const validate = new Ajv2020({ allErrors: true }).compile<Manifest>(schema);

const describe = (errors: ErrorObject[]) =>
  errors.map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`).join('; ');

/**
 * Checks a parsed manifest.json against models/registry/manifest.schema.json (the export's contract, bundled at
 * build time) and against its internal references: every class file and network file is listed in `files`,
 * class names are unique, `partOf` names a class of the model, the window is increasing. Throws EngineError
 * 'manifest-invalid' naming every problem.
 */
export function parseManifest(json: unknown, source = 'manifest'): Manifest {
  if (!validate(json)) {
    throw new EngineError('manifest-invalid', `${source}: ${describe(validate.errors ?? [])}`);
  }
  const problems: string[] = [];
  const listed = new Set(json.files.map((f) => f.path));
  const { backbone, backboneFp16, heads } = json.network;
  const used = [backbone, ...(backboneFp16 ? [backboneFp16] : []), heads, ...json.classes.map((c) => c.file)];
  for (const path of used) {
    if (!listed.has(path))
      problems.push(`"${path}" is used but not listed in files (no size or sha256 to check)`);
  }
  const names = new Set<string>();
  for (const cls of json.classes) {
    if (names.has(cls.name)) problems.push(`class "${cls.name}" appears twice`);
    names.add(cls.name);
  }
  for (const cls of json.classes) {
    if (cls.partOf && !names.has(cls.partOf))
      problems.push(`class "${cls.name}" is partOf unknown class "${cls.partOf}"`);
  }
  if (json.preprocess.window[0] >= json.preprocess.window[1])
    problems.push('preprocess.window must be [low, high]');
  const threshold = json.preprocess.threshold;
  if (threshold !== undefined && !(threshold > 0 && threshold < 1))
    problems.push('preprocess.threshold must be in (0, 1)');
  if (problems.length) throw new EngineError('manifest-invalid', `${source}: ${problems.join('; ')}`);
  return json;
}
