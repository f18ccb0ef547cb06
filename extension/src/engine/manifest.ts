import Ajv, { type ErrorObject, type JSONSchemaType } from 'ajv';
import { EngineError } from './errors.ts';

/** One file of the model directory, as the manifest pins it. */
export interface ManifestFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** A class the model can segment. Fields the engine does not read are kept as they are. */
export interface ManifestClass {
  name: string;
  synonyms: string[];
  /** Folded generator weights, a path listed in `files` (docs/architecture.md). */
  file: string;
  /** The organ a lesion class lies in (its voxels are kept only inside that organ's mask). */
  partOf?: string;
  /** Catalogue group; 'organs' get largest-connected-component post-processing. */
  group?: string;
  [key: string]: unknown;
}

export interface ManifestPreprocess {
  orientation: 'RAS';
  spacing: [number, number, number];
  window: [number, number];
  patch: [number, number, number];
  overlap: number;
}

/** The engine's view of models/registry/<id>/manifest.json. */
export interface Manifest {
  id: string;
  version: string;
  preprocess: ManifestPreprocess;
  network: { backbone: string; heads: string };
  classes: ManifestClass[];
  files: ManifestFile[];
  [key: string]: unknown;
}

const vec3 = {
  type: 'array',
  items: [
    { type: 'number', exclusiveMinimum: 0 },
    { type: 'number', exclusiveMinimum: 0 },
    { type: 'number', exclusiveMinimum: 0 },
  ],
  minItems: 3,
  maxItems: 3,
} as const;
const patch = {
  type: 'array',
  items: [
    { type: 'integer', minimum: 1 },
    { type: 'integer', minimum: 1 },
    { type: 'integer', minimum: 1 },
  ],
  minItems: 3,
  maxItems: 3,
} as const;
/** A relative path inside the model directory: no scheme, no leading slash, no `..` segment. */
const relativePath = {
  type: 'string',
  pattern: '^(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!/)(?!.*(^|/)\\.\\.(/|$)).+$',
} as const;

/** What the engine requires of a manifest; other fields are allowed (the export's schema governs those). */
const manifestSchema: JSONSchemaType<Manifest> = {
  type: 'object',
  required: ['id', 'version', 'preprocess', 'network', 'classes', 'files'],
  properties: {
    id: { type: 'string', minLength: 1 },
    version: { type: 'string', pattern: '^\\d+\\.\\d+\\.\\d+' },
    preprocess: {
      type: 'object',
      required: ['orientation', 'spacing', 'window', 'patch', 'overlap'],
      properties: {
        orientation: { type: 'string', const: 'RAS' },
        spacing: vec3,
        window: { type: 'array', items: [{ type: 'number' }, { type: 'number' }], minItems: 2, maxItems: 2 },
        patch,
        overlap: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
      },
    },
    network: {
      type: 'object',
      required: ['backbone', 'heads'],
      properties: { backbone: relativePath, heads: relativePath },
    },
    classes: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'synonyms', 'file'],
        properties: {
          name: { type: 'string', minLength: 1 },
          synonyms: { type: 'array', items: { type: 'string' } },
          file: relativePath,
          partOf: { type: 'string', nullable: true },
          group: { type: 'string', nullable: true },
        },
      },
    },
    files: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['path', 'bytes', 'sha256'],
        properties: {
          path: relativePath,
          bytes: { type: 'integer', minimum: 1 },
          sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        },
      },
    },
  },
} as unknown as JSONSchemaType<Manifest>;

const validate = new Ajv({ allErrors: true }).compile(manifestSchema);

const describe = (errors: ErrorObject[]) =>
  errors.map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`).join('; ');

/**
 * Checks a parsed manifest.json against the engine's schema and its internal references: every class file and
 * network file is listed in `files`, class names are unique, `partOf` names a class of the model, the window is
 * increasing. Throws EngineError 'manifest-invalid' naming every problem.
 */
export function parseManifest(json: unknown, source = 'manifest'): Manifest {
  if (!validate(json)) {
    throw new EngineError('manifest-invalid', `${source}: ${describe(validate.errors ?? [])}`);
  }
  const problems: string[] = [];
  const listed = new Set(json.files.map((f) => f.path));
  for (const path of [json.network.backbone, json.network.heads, ...json.classes.map((c) => c.file)]) {
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
  if (problems.length) throw new EngineError('manifest-invalid', `${source}: ${problems.join('; ')}`);
  return json;
}
