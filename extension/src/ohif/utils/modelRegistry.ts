// Reads the model registry the panel offers: `<modelsUrl>/index.json` lists the installed models
// (`{"models":[{"id","version","path":"<folder>/manifest.json",...}]}`, as models/contseg/export writes it), and
// each manifest lists its classes.
// Only what the panel shows and searches is read here; the engine validates the whole manifest (schema, sha256) when it loads one.
import type { SearchCode } from './promptSearch.ts';

export interface RegistryEntry {
  id: string;
  version: string;
  /** Absolute URL of the model's manifest.json. */
  manifestUrl: string;
}

export interface ModelClass {
  name: string;
  synonyms: string[];
  /** Display colour, RGB 0-255. */
  colour?: [number, number, number];
  /** Name of the organ this class lies inside (a tumour's organ). */
  partOf?: string;
  /** Catalogue group: organs, gi tract, vessels, tumours. */
  group?: string;
  /** Index of the continual-learning step that added this class. */
  step?: number;
  /** SNOMED CT codes (manifest `type` and `region`) the prompt search finds it by. */
  codes: SearchCode[];
}

/** One continual-learning step of the model (manifest `steps`): its provenance. */
export interface ModelStep {
  index: number;
  name: string;
  /** full: all weights trained; head-only: only new class heads. */
  kind: string;
  /** The training data of the step. */
  data: string;
}

export interface ModelSummary {
  id: string;
  version: string;
  manifestUrl: string;
  classes: ModelClass[];
  steps: ModelStep[];
}

export type RegistryErrorKind = 'no-model' | 'fetch-failed' | 'invalid';

export class RegistryError extends Error {
  readonly kind: RegistryErrorKind;
  constructor(kind: RegistryErrorKind, message: string) {
    super(message);
    this.name = 'RegistryError';
    this.kind = kind;
  }
}

type Fetch = (url: string) => Promise<Response>;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const nonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

async function fetchJson(url: string, fetchFn: Fetch, missing?: () => RegistryError): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchFn(url);
  } catch (err) {
    throw new RegistryError('fetch-failed', `cannot reach ${url}: ${(err as Error).message}`);
  }
  if (response.status === 404 && missing) throw missing();
  if (!response.ok) throw new RegistryError('fetch-failed', `${url} answered HTTP ${response.status}`);
  try {
    return await response.json();
  } catch {
    throw new RegistryError('invalid', `${url} is not JSON`);
  }
}

/** Base URL of the registry: the configured one, or `/models/` on the page's origin; always ends with '/'. */
export function registryBaseUrl(configured: string | undefined, pageUrl: string): string {
  const base = new URL(configured ?? '/models/', pageUrl).href;
  return base.endsWith('/') ? base : `${base}/`;
}

/** Lists the registry's models. Throws RegistryError 'no-model' when the registry has no index or no model. */
export async function loadRegistryIndex(baseUrl: string, fetchFn: Fetch = fetch): Promise<RegistryEntry[]> {
  const indexUrl = new URL('index.json', baseUrl).href;
  const noModel = (why: string) =>
    new RegistryError('no-model', `No segmentation model is installed: ${why}.`);
  const index = await fetchJson(indexUrl, fetchFn, () => noModel(`${indexUrl} was not found`));
  if (!isRecord(index) || !Array.isArray(index.models)) {
    throw new RegistryError('invalid', `${indexUrl} has no "models" list`);
  }
  if (index.models.length === 0) throw noModel(`the registry ${indexUrl} lists no model`);
  return index.models.map((entry, i) => {
    if (!isRecord(entry) || !nonEmptyString(entry.id) || !nonEmptyString(entry.version)) {
      throw new RegistryError('invalid', `${indexUrl}: models[${i}] needs string "id" and "version"`);
    }
    if (!nonEmptyString(entry.path)) {
      throw new RegistryError('invalid', `${indexUrl}: models[${i}] ("${entry.id}") has no manifest "path"`);
    }
    return { id: entry.id, version: entry.version, manifestUrl: new URL(entry.path, baseUrl).href };
  });
}

/** The class's SNOMED CT type and region codes with a value and meaning (others are the DICOM writer's concern). */
function parseCodes(value: Record<string, unknown>): SearchCode[] {
  return (['type', 'region'] as const).flatMap((role) => {
    const code = value[role];
    return isRecord(code) && nonEmptyString(code.value) && nonEmptyString(code.meaning)
      ? [{ role, value: code.value, meaning: code.meaning }]
      : [];
  });
}

function parseClass(value: unknown, where: string): ModelClass {
  if (!isRecord(value) || !nonEmptyString(value.name)) {
    throw new RegistryError('invalid', `${where}: a class needs a "name"`);
  }
  const synonyms = value.synonyms ?? [];
  if (!Array.isArray(synonyms) || !synonyms.every((s) => typeof s === 'string')) {
    throw new RegistryError('invalid', `${where}: "synonyms" of "${value.name}" must be a list of strings`);
  }
  const cls: ModelClass = { name: value.name, synonyms, codes: parseCodes(value) };
  const colour = value.colour;
  if (colour !== undefined) {
    if (
      !Array.isArray(colour) ||
      colour.length !== 3 ||
      !colour.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)
    ) {
      throw new RegistryError('invalid', `${where}: "colour" of "${value.name}" must be [r, g, b] in 0..255`);
    }
    cls.colour = [colour[0], colour[1], colour[2]];
  }
  if (nonEmptyString(value.partOf)) cls.partOf = value.partOf;
  if (nonEmptyString(value.group)) cls.group = value.group;
  if (Number.isInteger(value.step)) cls.step = value.step as number;
  return cls;
}

function parseStep(value: unknown, where: string): ModelStep {
  if (!isRecord(value) || !Number.isInteger(value.index) || !nonEmptyString(value.name)) {
    throw new RegistryError('invalid', `${where}: a step needs an integer "index" and a "name"`);
  }
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return { index: value.index as number, name: value.name, kind: text(value.kind), data: text(value.data) };
}

/** Reads one model's manifest: id, version and classes (names, synonyms, colours). */
export async function loadModelSummary(entry: RegistryEntry, fetchFn: Fetch = fetch): Promise<ModelSummary> {
  const manifest = await fetchJson(entry.manifestUrl, fetchFn);
  const where = entry.manifestUrl;
  if (!isRecord(manifest) || !Array.isArray(manifest.classes) || manifest.classes.length === 0) {
    throw new RegistryError('invalid', `${where} lists no classes`);
  }
  if (manifest.id !== entry.id) {
    throw new RegistryError(
      'invalid',
      `${where} is model "${String(manifest.id)}", the index says "${entry.id}"`,
    );
  }
  if (manifest.version !== entry.version) {
    throw new RegistryError(
      'invalid',
      `${where} is version "${String(manifest.version)}", the index says "${entry.version}"`,
    );
  }
  const classes = manifest.classes.map((c) => parseClass(c, where));
  if (manifest.steps !== undefined && !Array.isArray(manifest.steps)) {
    throw new RegistryError('invalid', `${where}: "steps" must be a list`);
  }
  const steps = (manifest.steps ?? []).map((s) => parseStep(s, where));
  return { id: entry.id, version: entry.version, manifestUrl: where, classes, steps };
}
