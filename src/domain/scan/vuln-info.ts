import { scoreCvss } from '../severity/cvss.js';
import type { VulnDetailRow } from './vulndb.repository.js';

/*
 * What a scan shows of a vulnerability, read from its stored OSV record: the summary, aliases, a
 * link, and a severity. The severity is the highest CVSS score the record carries (its own
 * `severity`, then its entries'), or else the database's own word (GHSA's database_specific
 * severity, a distribution's urgency), or "unknown" — never a guess.
 */

export type SeverityLabel = 'critical' | 'high' | 'medium' | 'low' | 'unknown';

export interface VulnInfo {
  id: string;
  summary: string;
  aliases: string[];
  modified: string;
  published: string | null;
  severity: SeverityLabel;
  /** The CVSS score it comes from, with its vector; null when the severity is a word. */
  score: number | null;
  vector: string | null;
  /** The advisory's own page, else its first reference. */
  url: string | null;
  /** The record's Markdown details. */
  details: string;
  origin: 'import' | 'project';
}

const WORDS: Record<string, SeverityLabel> = {
  critical: 'critical',
  high: 'high',
  important: 'high',
  moderate: 'medium',
  medium: 'medium',
  low: 'low',
  negligible: 'low',
  unimportant: 'low',
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

function vectorsOf(record: Record<string, unknown>): string[] {
  const lists = [
    record.severity,
    ...(Array.isArray(record.affected)
      ? record.affected.map((a: unknown) => (isObject(a) ? a.severity : undefined))
      : []),
  ];
  const out: string[] = [];
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const s of list) {
      if (isObject(s) && typeof s.score === 'string' && typeof s.type === 'string' && s.type.startsWith('CVSS_'))
        out.push(s.score);
    }
  }
  return out;
}

function wordOf(record: Record<string, unknown>): SeverityLabel {
  const candidates: unknown[] = [isObject(record.database_specific) ? record.database_specific.severity : undefined];
  for (const a of Array.isArray(record.affected) ? record.affected : []) {
    if (!isObject(a)) continue;
    for (const part of [a.ecosystem_specific, a.database_specific]) {
      if (isObject(part)) candidates.push(part.severity, part.urgency);
    }
  }
  for (const c of candidates) {
    const label = typeof c === 'string' ? WORDS[c.toLowerCase()] : undefined;
    if (label) return label;
  }
  return 'unknown';
}

function labelOf(score: number): SeverityLabel {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'unknown';
}

function linkOf(record: Record<string, unknown>): string | null {
  const refs = Array.isArray(record.references) ? record.references.filter(isObject) : [];
  const pick = refs.find((r) => r.type === 'ADVISORY') ?? refs[0];
  return pick && typeof pick.url === 'string' ? pick.url : null;
}

// Scores by vector: records repeat a few thousand distinct vectors, and scoring is the costly part of
// presenting a finding. Bounded, since vectors come from imported data.
const scores = new Map<string, number | null>();
function baseScore(vector: string): number | null {
  let score = scores.get(vector);
  if (score !== undefined) return score;
  try {
    score = scoreCvss(vector).base.score;
  } catch {
    // A vector this calculator refuses says nothing reliable; the next source decides.
    score = null;
  }
  if (scores.size > 50_000) scores.clear();
  scores.set(vector, score);
  return score;
}

export function vulnInfo(row: VulnDetailRow): VulnInfo {
  const parsed: unknown = JSON.parse(row.record);
  const record = isObject(parsed) ? parsed : {};
  let best: { score: number; vector: string } | null = null;
  for (const vector of vectorsOf(record)) {
    const score = baseScore(vector);
    if (score !== null && (!best || score > best.score)) best = { score, vector };
  }
  return {
    id: row.id,
    summary: row.summary,
    aliases: JSON.parse(row.aliases) as string[],
    modified: row.modified,
    published: row.published,
    severity: best ? labelOf(best.score) : wordOf(record),
    score: best?.score ?? null,
    vector: best?.vector ?? null,
    url: linkOf(record),
    details: typeof record.details === 'string' ? record.details : '',
    origin: row.origin === 'project' ? 'project' : 'import',
  };
}
