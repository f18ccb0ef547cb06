import { EngineError } from './errors.ts';

/** What the engine needs to know about a class to resolve a prompt to it. */
export interface NamedClass {
  name: string;
  synonyms: readonly string[];
}

const normalise = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');

/** Levenshtein distance (insert, delete, substitute cost 1). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitute = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitute));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** Up to three known class names closest to `query` by edit distance over names and synonyms. */
export function suggestClassNames(query: string, known: readonly NamedClass[]): string[] {
  const q = normalise(query);
  const best = new Map<string, number>();
  for (const cls of known) {
    for (const alias of [cls.name, ...cls.synonyms]) {
      const a = normalise(alias);
      const distance = a.includes(q) || q.includes(a) ? 0.5 : editDistance(q, a);
      if (distance <= Math.max(2, Math.floor(a.length / 3))) {
        best.set(cls.name, Math.min(distance, best.get(cls.name) ?? Infinity));
      }
    }
  }
  return [...best.entries()]
    .sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]))
    .slice(0, 3)
    .map(([name]) => name);
}

/**
 * Maps requested prompts (names or synonyms, any case) to the known classes' canonical names, in request order,
 * without duplicates. Throws 'no-classes' for an empty request and 'unknown-class' (with suggestions) otherwise.
 */
export function resolveClassNames(requested: readonly string[], known: readonly NamedClass[]): string[] {
  if (requested.length === 0) {
    throw new EngineError('no-classes', 'no classes requested: ask for at least one, e.g. "liver"');
  }
  const byAlias = new Map<string, string>();
  for (const cls of known) {
    for (const alias of [cls.name, ...cls.synonyms]) byAlias.set(normalise(alias), cls.name);
  }
  const resolved: string[] = [];
  for (const prompt of requested) {
    const name = byAlias.get(normalise(prompt));
    if (name === undefined) {
      const suggestions = suggestClassNames(prompt, known);
      const hint = suggestions.length ? `did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : '';
      throw new EngineError(
        'unknown-class',
        `this model does not know the class "${prompt}"; ${hint || `it knows: ${known.map((c) => c.name).join(', ')}`}`,
      );
    }
    if (!resolved.includes(name)) resolved.push(name);
  }
  return resolved;
}
