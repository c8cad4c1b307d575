import type { OsvAffectedInput, OsvRangeInput } from './osv-ranges.js';

/*
 * The part of an OSV record the vulnerability database keeps as columns, read from untrusted input
 * (a downloaded export, an upload). A record needs an id, a `modified` date and well-formed
 * `affected` entries; anything else in it is kept as it came, in the stored JSON. What fails is
 * refused with the reason, never half stored.
 */

export interface VulnAffected extends OsvAffectedInput {
  ecosystem: string;
  name: string;
  ranges: OsvRangeInput[];
  versions: string[];
}

export interface VulnSummary {
  id: string;
  modified: string;
  published: string | null;
  withdrawn: string | null;
  summary: string;
  aliases: string[];
  affected: VulnAffected[];
}

export type ReadResult = { ok: true; vuln: VulnSummary } | { ok: false; id: string | null; reason: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const strings = (v: unknown): string[] | null =>
  v === undefined ? [] : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;

/** An RFC 3339 timestamp as ISO-8601 UTC text, so that incremental import compares dates as text. */
function timestamp(v: unknown): string | null {
  const s = text(v);
  return s !== null && !Number.isNaN(Date.parse(s)) ? new Date(Date.parse(s)).toISOString() : null;
}

function readRanges(v: unknown): OsvRangeInput[] | string {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return '"ranges" must be an array';
  const ranges: OsvRangeInput[] = [];
  for (const r of v) {
    if (!isObject(r) || typeof r.type !== 'string' || !Array.isArray(r.events)) {
      return 'each range needs a "type" and an "events" array';
    }
    const events = [];
    for (const e of r.events) {
      if (!isObject(e)) return 'each event must be an object';
      const [key, value] = Object.entries(e)[0] ?? [];
      if (!['introduced', 'fixed', 'last_affected', 'limit'].includes(key ?? '') || typeof value !== 'string') {
        return 'each event is one of introduced, fixed, last_affected or limit with a string value';
      }
      events.push({ [key as string]: value });
    }
    ranges.push({ type: r.type, events });
  }
  return ranges;
}

function readAffected(v: unknown): VulnAffected[] | string {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return '"affected" must be an array';
  const out: VulnAffected[] = [];
  for (const a of v) {
    if (!isObject(a)) return 'each "affected" entry must be an object';
    // An entry without a package (GIT-only, e.g. a commit range in the OSS-Fuzz data) matches no
    // package version and is not indexed; the record is still kept.
    if (a.package === undefined) continue;
    if (!isObject(a.package)) return '"package" must be an object';
    const ecosystem = text(a.package.ecosystem);
    const name = text(a.package.name);
    if (ecosystem === null || name === null) return 'each package needs an "ecosystem" and a "name"';
    const ranges = readRanges(a.ranges);
    if (typeof ranges === 'string') return ranges;
    const versions = strings(a.versions);
    if (versions === null) return '"versions" must be an array of strings';
    out.push({ ecosystem, name, ranges, versions });
  }
  return out;
}

/** Reads one record; never throws. */
export function readOsvRecord(input: unknown): ReadResult {
  if (!isObject(input)) return { ok: false, id: null, reason: 'an OSV record is a JSON object' };
  const id = text(input.id);
  if (id === null || id.length > 200) return { ok: false, id: null, reason: 'the record has no "id"' };
  const modified = timestamp(input.modified);
  if (modified === null) return { ok: false, id, reason: 'the record has no valid "modified" date' };
  const aliases = strings(input.aliases);
  if (aliases === null) return { ok: false, id, reason: '"aliases" must be an array of strings' };
  const affected = readAffected(input.affected);
  if (typeof affected === 'string') return { ok: false, id, reason: affected };
  return {
    ok: true,
    vuln: {
      id,
      modified,
      published: timestamp(input.published),
      withdrawn: timestamp(input.withdrawn),
      summary: text(input.summary) ?? firstLine(input.details),
      aliases,
      affected,
    },
  };
}

/** The first line of `details`, for records without a summary (most of PyPA's). */
function firstLine(details: unknown): string {
  if (typeof details !== 'string') return '';
  // Details run to kilobytes: find the line, then trim it, rather than splitting the whole text.
  const start = details.length - details.trimStart().length;
  const end = details.indexOf('\n', start);
  const line = (end < 0 ? details.slice(start) : details.slice(start, end)).trimEnd();
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}
