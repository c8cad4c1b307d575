import { DomainError } from '../../errors.js';
import { type Cwe, cweCatalog } from './cwe-catalog.js';

export type { Cwe } from './cwe-catalog.js';

/** A catalog entry with what search compares, computed once at load (861 entries: microseconds per query). */
interface Indexed {
  cwe: Cwe;
  idText: string;
  lowerName: string;
}

const indexed: readonly Indexed[] = cweCatalog.map((cwe) => ({
  cwe,
  idText: String(cwe.id),
  lowerName: cwe.name.toLowerCase(),
}));
const byId = new Map(cweCatalog.map((cwe) => [cwe.id, cwe]));
const frequentList = cweCatalog.filter((cwe) => cwe.frequent);

/** "79", "CWE-79", "cwe 79", "CWE79": the number, or undefined when the text names no CWE number. */
const ID_TEXT = /^(?:cwe[\s:-]*)?(\d{1,9})$/i;

export function findCwe(id: number): Cwe | undefined {
  return byId.get(id);
}

/**
 * A CWE number from a form field, JSON or a stored value: 79, "79", "CWE-79" (any case). Refuses,
 * as VALIDATION_FAILED on field 'cwe', anything else and numbers that are not in the catalog.
 */
export function parseCweId(input: string | number, options: { known?: boolean } = {}): number {
  const match = typeof input === 'number' ? null : ID_TEXT.exec(input.trim());
  const id = typeof input === 'number' ? input : match ? Number(match[1]) : Number.NaN;
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new DomainError('VALIDATION_FAILED', 'Enter a CWE as a number or as CWE-<number>, for example CWE-79.', {
      field: 'cwe',
    });
  }
  // Removing a CWE a case holds works even if a later catalogue dropped it.
  if (options.known !== false && !byId.has(id)) {
    throw new DomainError('VALIDATION_FAILED', `CWE-${id} is not in the CWE list Embargo knows.`, { field: 'cwe' });
  }
  return id;
}

/** Whether `word` occurs in `text` at the start of a word (after a non-alphanumeric character or at 0). */
function atWordStart(text: string, word: string): boolean {
  for (let at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + 1)) {
    if (at === 0 || !/[a-z0-9]/.test(text.charAt(at - 1))) return true;
  }
  return false;
}

/**
 * Rank of an entry for a query, lower first; undefined when it does not match. Tiers: the exact id,
 * ids starting with the digits, then names holding every word (all at word starts before mid-word).
 */
function tier(entry: Indexed, digits: string | undefined, words: readonly string[]): number | undefined {
  if (digits !== undefined) {
    if (entry.idText === digits) return 0;
    if (entry.idText.startsWith(digits)) return 1;
  }
  if (words.length === 0 || !words.every((w) => entry.lowerName.includes(w))) return undefined;
  return words.every((w) => atWordStart(entry.lowerName, w)) ? 2 : 3;
}

/**
 * The CWEs matching `query`, best first: exact id, id prefix, then names containing every word
 * (case-insensitive); among equals frequent ones, then mappable ones, then by id. An empty query
 * gives the frequent list.
 */
export function searchCwe(query: string, limit = 20): Cwe[] {
  const max = Math.max(0, Math.floor(limit));
  const text = query.trim().toLowerCase();
  if (text === '') return frequentList.slice(0, max);
  const digits = ID_TEXT.exec(text)?.[1]?.replace(/^0+(?=\d)/, '');
  const words = text.split(/\s+/);
  const hits: { cwe: Cwe; rank: number }[] = [];
  for (const entry of indexed) {
    const t = tier(entry, digits, words);
    if (t === undefined) continue;
    // Within a tier: frequent before the rest, mappable before the rest; ids break the last ties.
    hits.push({ cwe: entry.cwe, rank: t * 4 + (entry.cwe.frequent ? 0 : 2) + (entry.cwe.mappable ? 0 : 1) });
  }
  hits.sort((a, b) => a.rank - b.rank || a.cwe.id - b.cwe.id);
  return hits.slice(0, max).map((h) => h.cwe);
}
