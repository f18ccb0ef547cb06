// The panel's prompt search: which of a model's classes a typed query names, by class name or synonym.

export interface Searchable {
  name: string;
  synonyms: readonly string[];
}

export interface PromptMatch<C extends Searchable> {
  cls: C;
  /** The synonym that matched when the name itself did not (shown beside the name). */
  viaSynonym?: string;
}

const normalise = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');

/** 0 = alias starts with the query, 1 = a word of the alias starts with it, 2 = contains it; undefined = no match. */
function rank(alias: string, words: string[]): number | undefined {
  const a = normalise(alias);
  if (!words.every((w) => a.includes(w))) return undefined;
  const phrase = words.join(' ');
  if (a.startsWith(phrase)) return 0;
  if (a.split(' ').some((part) => part.startsWith(words[0]!))) return 1;
  return 2;
}

/**
 * Classes whose name or one synonym contains every word of `query` (case-insensitive), best first:
 * prefix matches before word-prefix before substring, names before synonyms, then catalogue order.
 * An empty query returns every class in its original order.
 */
export function searchPrompts<C extends Searchable>(query: string, classes: readonly C[]): PromptMatch<C>[] {
  const words = normalise(query).split(' ').filter(Boolean);
  if (!words.length) return classes.map((cls) => ({ cls }));
  const scored: { match: PromptMatch<C>; score: number; order: number }[] = [];
  classes.forEach((cls, order) => {
    const byName = rank(cls.name, words);
    if (byName !== undefined) {
      scored.push({ match: { cls }, score: byName * 2, order });
      return;
    }
    let best: { synonym: string; score: number } | undefined;
    for (const synonym of cls.synonyms) {
      const r = rank(synonym, words);
      if (r !== undefined && (!best || r * 2 + 1 < best.score)) best = { synonym, score: r * 2 + 1 };
    }
    if (best) scored.push({ match: { cls, viaSynonym: best.synonym }, score: best.score, order });
  });
  return scored.sort((x, y) => x.score - y.score || x.order - y.order).map((s) => s.match);
}
