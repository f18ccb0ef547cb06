// Turns a class entry of the model manifest (copied from models/contseg/catalogue.json) into the SNOMED CT codes and
// colour of its DICOM SEG segment. The category may be given inline or as a key of a `categories` table.
import { DicomError } from './errors.ts';
import type { Code, SegmentInput } from './seg-write.ts';

export type SegmentCodes = Pick<SegmentInput, 'category' | 'type' | 'region' | 'colour'>;

function asCode(value: unknown): Code | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { scheme, value: code, meaning } = value as Record<string, unknown>;
  return typeof scheme === 'string' &&
    typeof code === 'string' &&
    typeof meaning === 'string' &&
    scheme &&
    code &&
    meaning
    ? { scheme, value: code, meaning }
    : undefined;
}

/**
 * Codes and colour for one class entry `{ name, category, type, region?, colour }`. `category` is a Code or a key of
 * `categories` (the catalogue's form). Throws DicomError('bad-segment') naming the class and the missing field.
 */
export function segmentCodes(
  entry: Record<string, unknown>,
  categories: Record<string, unknown> = {},
): SegmentCodes {
  const name = String(entry.name ?? '(unnamed class)');
  const category = asCode(typeof entry.category === 'string' ? categories[entry.category] : entry.category);
  if (!category) {
    throw new DicomError(
      'bad-segment',
      `class "${name}" has no SNOMED CT category code (scheme, value, meaning)`,
    );
  }
  const type = asCode(entry.type);
  if (!type)
    throw new DicomError(
      'bad-segment',
      `class "${name}" has no SNOMED CT type code (scheme, value, meaning)`,
    );
  const colour = entry.colour;
  if (
    !Array.isArray(colour) ||
    colour.length !== 3 ||
    !colour.every((c) => Number.isInteger(c) && c >= 0 && c <= 255)
  ) {
    throw new DicomError('bad-segment', `class "${name}" has no RGB colour (three integers 0-255)`);
  }
  const region = asCode(entry.region);
  return { category, type, colour: colour as [number, number, number], ...(region ? { region } : {}) };
}
