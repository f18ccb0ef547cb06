// The panel's prompt search: which of a model's classes a typed query names, by class name, synonym or SNOMED CT code.

/** A SNOMED CT code of a class: what it is (`type`) or where it lies (`region`, e.g. a tumour's organ). */
export interface SearchCode {
  role: 'type' | 'region';
  value: string;
  meaning: string;
}

export interface Searchable {
  name: string;
  synonyms: readonly string[];
  codes?: readonly SearchCode[];
}

export interface PromptMatch<C extends Searchable> {
  cls: C;
  /** The synonym that matched when the name itself did not (shown beside the name). */
  viaSynonym?: string;
  /** The code that matched a numeric query, e.g. "SCT 10200004 Liver" (shown beside the name). */
  viaCode?: string;
}

interface Scored<C extends Searchable> {
  match: PromptMatch<C>;
  score: number;
  order: number;
}

/** Lowest score first, then catalogue order. */
const bestFirst = <C extends Searchable>(scored: Scored<C>[]) =>
  scored.sort((x, y) => x.score - y.score || x.order - y.order).map((s) => s.match);

const normalise = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');

/** A query that is one SNOMED CT concept id (digits), optionally written "SCT:10200004" or "SCT 10200004". */
const CODE_QUERY = /^(?:sct[: ]?)?(\d+)$/;

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
 * Classes whose codes start with the digits: an exact type code first, then an exact region code (a tumour of that
 * organ), then code prefixes; catalogue order within each.
 */
function searchCodes<C extends Searchable>(digits: string, classes: readonly C[]): PromptMatch<C>[] {
  const scored: Scored<C>[] = [];
  classes.forEach((cls, order) => {
    let best: { code: SearchCode; score: number } | undefined;
    for (const code of cls.codes ?? []) {
      if (!code.value.startsWith(digits)) continue;
      const score = (code.value === digits ? 0 : 2) + (code.role === 'type' ? 0 : 1);
      if (!best || score < best.score) best = { code, score };
    }
    if (best) {
      const viaCode = `SCT ${best.code.value} ${best.code.meaning}`;
      scored.push({ match: { cls, viaCode }, score: best.score, order });
    }
  });
  return bestFirst(scored);
}

/**
 * Classes whose name or one synonym contains every word of `query` (case-insensitive), best first:
 * prefix matches before word-prefix before substring, names before synonyms, then catalogue order.
 * A query of digits (a SNOMED CT concept id) finds classes by their type or region code instead.
 * An empty query returns every class in its original order.
 */
export function searchPrompts<C extends Searchable>(query: string, classes: readonly C[]): PromptMatch<C>[] {
  const text = normalise(query);
  const code = CODE_QUERY.exec(text);
  if (code) return searchCodes(code[1]!, classes);
  const words = text.split(' ').filter(Boolean);
  if (!words.length) return classes.map((cls) => ({ cls }));
  const scored: Scored<C>[] = [];
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
  return bestFirst(scored);
}
