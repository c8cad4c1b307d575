import { DomainError } from '../../errors.js';
import type { AdvisoryMeta } from './advisories.js';
import { REFERENCE_TYPES, type RecordReference, type ReferenceType } from './advisory-record.js';

// The advisory's other ids and references, as typed in a form (one per line, a reference as
// "TYPE url" or a bare URL) or sent as JSON. Ids are those OSV and CVE records carry: GHSA-...,
// GO-..., RUSTSEC-..., PYSEC-..., an upstream project's own prefix; the CVE id is kept apart.

const ALIAS = /^[A-Za-z][A-Za-z0-9._-]{1,39}-[A-Za-z0-9._:-]{1,60}$/;
const MAX_IDS = 20;
const MAX_REFERENCES = 50;

const invalid = (field: string, message: string) => new DomainError('VALIDATION_FAILED', message, { field });

function lines(raw: unknown, field: string): string[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw === 'string')
    return raw
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean);
  if (Array.isArray(raw)) return raw.map((v) => (typeof v === 'string' ? v.trim() : JSON.stringify(v)));
  throw invalid(field, `${field} is a list.`);
}

function ids(raw: unknown, field: string): string[] {
  const list = lines(raw, field);
  if (list.length > MAX_IDS) throw invalid(field, `At most ${MAX_IDS} ids.`);
  list.forEach((id, i) => {
    if (!ALIAS.test(id))
      throw invalid(`${field}.${i}`, `"${id.slice(0, 80)}" is not an advisory id (like GHSA-xxxx-xxxx-xxxx).`);
  });
  return [...new Set(list)];
}

function webUrl(text: string, field: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(field, `"${text.slice(0, 80)}" is not a full URL.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid(field, 'A reference is an http(s) URL.');
  return url.toString();
}

function references(raw: unknown): RecordReference[] {
  const entries: unknown[] = typeof raw === 'string' ? lines(raw, 'references') : Array.isArray(raw) ? raw : [];
  if (raw !== undefined && raw !== null && typeof raw !== 'string' && !Array.isArray(raw)) {
    throw invalid('references', 'references is a list.');
  }
  if (entries.length > MAX_REFERENCES) throw invalid('references', `At most ${MAX_REFERENCES} references.`);
  const out = entries.map((entry, i): RecordReference => {
    const field = `references.${i}`;
    if (typeof entry === 'string') {
      const [first = '', second] = entry.split(/\s+/, 2);
      const upper = first.toUpperCase();
      if (second !== undefined && (REFERENCE_TYPES as readonly string[]).includes(upper)) {
        return { type: upper as ReferenceType, url: webUrl(second, field) };
      }
      return { type: 'WEB', url: webUrl(entry, field) };
    }
    const o = (entry ?? {}) as Record<string, unknown>;
    const type = typeof o.type === 'string' ? o.type.toUpperCase() : 'WEB';
    if (!(REFERENCE_TYPES as readonly string[]).includes(type)) {
      throw invalid(`${field}.type`, `A reference's type is one of ${REFERENCE_TYPES.join(', ')}.`);
    }
    return { type: type as ReferenceType, url: webUrl(typeof o.url === 'string' ? o.url : '', `${field}.url`) };
  });
  const seen = new Set<string>();
  return out.filter((r) => !seen.has(`${r.type} ${r.url}`) && seen.add(`${r.type} ${r.url}`));
}

/** Checks aliases, related ids and references as submitted: VALIDATION_FAILED names the field. */
export function parseAdvisoryMeta(raw: unknown): AdvisoryMeta {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('advisory', 'Send an object.');
  const o = raw as Record<string, unknown>;
  const aliases = ids(o.aliases, 'aliases');
  if (aliases.some((a) => /^CVE-/i.test(a))) {
    throw invalid('aliases', 'The CVE id has its own place: assign it or type it in under "CVE id".');
  }
  return { aliases, related: ids(o.related, 'related'), references: references(o.references) };
}

/** The columns of the metadata as stored. */
export const advisoryMetaColumns = (m: AdvisoryMeta) => ({
  aliases: JSON.stringify(m.aliases),
  related: JSON.stringify(m.related),
  references_json: JSON.stringify(m.references),
});

/** The metadata as the form's text areas show it (one per line). */
export function metaAsText(m: AdvisoryMeta): { aliases: string; related: string; references: string } {
  return {
    aliases: m.aliases.join('\n'),
    related: m.related.join('\n'),
    references: m.references.map((r) => `${r.type} ${r.url}`).join('\n'),
  };
}
