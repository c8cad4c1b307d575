/*
 * Reads a CVE JSON 5 record (CVE Record Format 5.0/5.1: a full record, a CVE Services body
 * `{ cnaContainer }`, or a bare CNA container) into what a case can be opened from. Only the CNA's
 * statement is read; the shape is checked by hand and a bad document is refused with the path of
 * the field at fault. Products become packages where the package collection names an OSV
 * ecosystem; the rest, and version statements OSV events cannot express, become warnings.
 */

import type { CreditType } from '../domain/advisories/advisories.js';
import type { RecordCredit, ReferenceType } from '../domain/advisories/advisory-record.js';
import { readCve5Affected } from './cve5-affected.js';
import {
  at,
  firstSentence,
  type ImportedAdvisory,
  ImportCollector,
  invalid,
  type Json,
  objectAt,
  optionalArray,
  optionalString,
  requiredString,
} from './imported-advisory.js';

export interface Cve5ReadOptions {
  /** The CVE id, for a container that does not carry it (CVE Services takes it in the URL). */
  cveId?: string;
  /** When the caller received the document: the withdrawal time of a rejected container that carries no date. */
  receivedAt?: string;
}

const CVE_ID = /^CVE-\d{4}-\d{4,}$/;

interface Located {
  cna: Json;
  /** The JSON path of the CNA container in the document. */
  path: string;
  metadata: Json | null;
  adp: unknown[];
}

function locate(json: unknown): Located {
  const doc = objectAt(json, '', 'a CVE JSON 5 record (a JSON object)');
  if (doc['dataType'] !== undefined || doc['containers'] !== undefined) {
    if (doc['dataType'] !== 'CVE_RECORD') invalid('dataType', 'dataType must be "CVE_RECORD".');
    const metadata = objectAt(doc['cveMetadata'], 'cveMetadata');
    // A reserved record is an id and nothing else (it has no containers).
    if (metadata['state'] === 'RESERVED')
      invalid('cveMetadata.state', 'A reserved CVE id has no advisory to import yet.');
    const containers = objectAt(doc['containers'], 'containers');
    return {
      cna: objectAt(containers['cna'], 'containers.cna'),
      path: 'containers.cna',
      metadata,
      adp: optionalArray(containers, 'adp', 'containers'),
    };
  }
  if (doc['cnaContainer'] !== undefined) {
    return { cna: objectAt(doc['cnaContainer'], 'cnaContainer'), path: 'cnaContainer', metadata: null, adp: [] };
  }
  if (['descriptions', 'rejectedReasons', 'affected', 'providerMetadata'].some((k) => doc[k] !== undefined)) {
    return { cna: doc, path: '', metadata: null, adp: [] };
  }
  return invalid(
    '',
    'This is not a CVE JSON 5 record: expected dataType "CVE_RECORD", a { cnaContainer } body or a CNA container.',
  );
}

// CVE timestamps may omit the offset, which then means UTC (CVE schema, "timestamp").
function cveTime(value: string | undefined, field: string): string | null {
  if (value === undefined) return null;
  const withZone = /(Z|[+-]\d{2}:\d{2})$/i.test(value) ? value : `${value}Z`;
  const time = Date.parse(withZone);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value) || Number.isNaN(time)) {
    invalid(field, `${field} must be an ISO 8601 time such as 2026-03-09T16:00:00Z.`);
  }
  return new Date(time).toISOString();
}

/** The English entries of a descriptions-like list ("en", "en-US", "eng"), else all of them. */
function english(list: unknown[], path: string, valueKey = 'value'): string[] {
  const entries = list.map((item, i) => {
    const obj = objectAt(item, at(path, i));
    return { lang: requiredString(obj, 'lang', at(path, i)), value: requiredString(obj, valueKey, at(path, i)) };
  });
  const en = entries.filter((e) => /^en(g|-|_|$)/i.test(e.lang));
  return [...new Set((en.length > 0 ? en : entries).map((e) => e.value.trim()))];
}

// The CVE reference tags with an OSV type that says the same thing; the first tag of this list
// that a reference carries wins, so a patch that is also an advisory counts as the fix.
const TAG_TYPES: [string, ReferenceType][] = [
  ['patch', 'FIX'],
  ['vendor-advisory', 'ADVISORY'],
  ['third-party-advisory', 'ADVISORY'],
  ['exploit', 'EVIDENCE'],
  ['issue-tracking', 'REPORT'],
  ['signature', 'DETECTION'],
  ['technical-description', 'ARTICLE'],
  ['media-coverage', 'ARTICLE'],
  ['mailing-list', 'DISCUSSION'],
];

function readReferences(cna: Json, path: string, c: ImportCollector): void {
  optionalArray(cna, 'references', path).forEach((item, i) => {
    const refPath = at(at(path, 'references'), i);
    const obj = objectAt(item, refPath);
    const url = requiredString(obj, 'url', refPath);
    const tags = optionalArray(obj, 'tags', refPath).filter((t): t is string => typeof t === 'string');
    const type = TAG_TYPES.find(([tag]) => tags.includes(tag))?.[1] ?? 'WEB';
    c.reference({ type, url });
  });
}

const CREDIT_TYPES: Record<string, CreditType> = {
  finder: 'FINDER',
  reporter: 'REPORTER',
  analyst: 'ANALYST',
  coordinator: 'COORDINATOR',
  'remediation developer': 'REMEDIATION_DEVELOPER',
  'remediation reviewer': 'REMEDIATION_REVIEWER',
  'remediation verifier': 'REMEDIATION_VERIFIER',
  tool: 'TOOL',
  sponsor: 'SPONSOR',
  other: 'OTHER',
};

function readCredits(cna: Json, path: string, c: ImportCollector): RecordCredit[] {
  const credits: RecordCredit[] = [];
  optionalArray(cna, 'credits', path).forEach((item, i) => {
    const creditPath = at(at(path, 'credits'), i);
    const obj = objectAt(item, creditPath);
    const name = requiredString(obj, 'value', creditPath).trim();
    const given = optionalString(obj, 'type', creditPath);
    // The CVE schema's default credit type is "finder".
    const type = given === undefined ? 'FINDER' : CREDIT_TYPES[given];
    if (type === undefined) c.warn(`The credit type "${given}" of ${name} is kept as OTHER.`);
    if (!credits.some((k) => k.name === name && k.type === (type ?? 'OTHER'))) {
      credits.push({ name, type: type ?? 'OTHER', contact: [] });
    }
  });
  return credits;
}

function readCwes(cna: Json, path: string, c: ImportCollector): number[] {
  const cwes: number[] = [];
  optionalArray(cna, 'problemTypes', path).forEach((item, i) => {
    const ptPath = at(at(path, 'problemTypes'), i);
    optionalArray(objectAt(item, ptPath), 'descriptions', ptPath).forEach((d, j) => {
      const dPath = at(at(ptPath, 'descriptions'), j);
      const obj = objectAt(d, dPath);
      const text = requiredString(obj, 'description', dPath);
      const match = /^CWE-(\d+)$/i.exec(optionalString(obj, 'cweId', dPath) ?? '') ?? /\bCWE[-\s:]?(\d+)\b/i.exec(text);
      if (match) {
        if (!cwes.includes(Number(match[1]))) cwes.push(Number(match[1]));
      } else if (!/^(n\/a|unknown|other)$/i.test(text.trim())) {
        c.warn(`The problem type "${text}" names no CWE.`);
      }
    });
  });
  return cwes;
}

const METRIC_KEYS = ['cvssV4_0', 'cvssV3_1', 'cvssV3_0', 'cvssV2_0'] as const;

function readMetrics(cna: Json, path: string, c: ImportCollector): string[] {
  const vectors: string[] = [];
  optionalArray(cna, 'metrics', path).forEach((item, i) => {
    const mPath = at(at(path, 'metrics'), i);
    const metric = objectAt(item, mPath);
    for (const key of METRIC_KEYS) {
      if (metric[key] === undefined) continue;
      const vector = requiredString(objectAt(metric[key], at(mPath, key)), 'vectorString', at(mPath, key));
      if (!vectors.includes(vector)) vectors.push(vector);
    }
    if (metric['other'] !== undefined) {
      const type = optionalString(objectAt(metric['other'], at(mPath, 'other')), 'type', at(mPath, 'other'));
      c.warn(`A metric of type "${type ?? 'other'}" has no place in a case; only CVSS vectors were kept.`);
    }
  });
  return vectors;
}

// CNA container fields with prose a team needs: appended to the details under a heading.
const PROSE_FIELDS: [string, string][] = [
  ['workarounds', 'Workarounds'],
  ['solutions', 'Solutions'],
  ['exploits', 'Exploitation'],
];
const UNREAD_FIELDS = ['configurations', 'impacts', 'timeline', 'taxonomyMappings', 'cpeApplicability'];

function details(description: string, cna: Json, path: string): string {
  const parts = [description];
  for (const [key, heading] of PROSE_FIELDS) {
    const texts = english(optionalArray(cna, key, path), at(path, key));
    if (texts.length > 0) parts.push(`## ${heading}\n\n${texts.join('\n\n')}`);
  }
  return parts.filter((p) => p !== '').join('\n\n');
}

function cveIdOf(located: Located, options: Cve5ReadOptions, c: ImportCollector): string {
  const given = located.metadata ? requiredString(located.metadata, 'cveId', 'cveMetadata') : options.cveId;
  if (given === undefined) {
    c.warn('The CNA container does not say its CVE id.');
    return '';
  }
  if (!CVE_ID.test(given)) invalid(located.metadata ? 'cveMetadata.cveId' : 'cveId', `"${given}" is not a CVE id.`);
  return given;
}

/** A CVE JSON 5 record, body or CNA container read into an import; VALIDATION_FAILED with the field path when malformed. */
export function readCve5(json: unknown, options: Cve5ReadOptions = {}): ImportedAdvisory {
  const located = locate(json);
  const { cna, path, metadata } = located;
  const c = new ImportCollector();
  const sourceId = cveIdOf(located, options, c);
  const state = metadata ? optionalString(metadata, 'state', 'cveMetadata') : undefined;
  const provider =
    cna['providerMetadata'] === undefined ? {} : objectAt(cna['providerMetadata'], at(path, 'providerMetadata'));
  const updated =
    cveTime(metadata ? optionalString(metadata, 'dateUpdated', 'cveMetadata') : undefined, 'cveMetadata.dateUpdated') ??
    cveTime(
      optionalString(provider, 'dateUpdated', at(path, 'providerMetadata')),
      at(at(path, 'providerMetadata'), 'dateUpdated'),
    );
  const published = cveTime(
    metadata ? optionalString(metadata, 'datePublished', 'cveMetadata') : undefined,
    'cveMetadata.datePublished',
  );
  if (located.adp.length > 0) {
    c.warn('The ADP containers (enrichment by other organisations) were not read: only the CNA statement is imported.');
  }
  const title = optionalString(cna, 'title', path)?.trim();
  const base = { source: 'cve5' as const, sourceId, published, modified: updated };

  if (state === 'REJECTED' || cna['rejectedReasons'] !== undefined) {
    const reason = english(optionalArray(cna, 'rejectedReasons', path), at(path, 'rejectedReasons')).join('\n\n');
    const withdrawn =
      cveTime(
        metadata ? optionalString(metadata, 'dateRejected', 'cveMetadata') : undefined,
        'cveMetadata.dateRejected',
      ) ??
      updated ??
      cveTime(options.receivedAt, 'receivedAt') ??
      invalid('cveMetadata.dateRejected', 'A rejected CVE record without any date needs the time it was received.');
    const related = optionalArray(cna, 'replacedBy', path).filter((id): id is string => typeof id === 'string');
    return {
      ...base,
      aliases: [],
      related,
      summary: title || firstSentence(reason) || (sourceId ? `${sourceId} was rejected` : 'A rejected CVE record'),
      details: reason,
      withdrawn,
      cvssVectors: [],
      cwes: [],
      packages: [],
      references: [],
      credits: [],
      warnings: c.warnings,
    };
  }

  const descriptions = english(optionalArray(cna, 'descriptions', path), at(path, 'descriptions'));
  if (descriptions.length === 0) invalid(at(path, 'descriptions'), 'A published CVE record needs a description.');
  const description = descriptions.join('\n\n');
  readReferences(cna, path, c);
  const credits = readCredits(cna, path, c);
  const cwes = readCwes(cna, path, c);
  const cvssVectors = readMetrics(cna, path, c);
  readCve5Affected(optionalArray(cna, 'affected', path), at(path, 'affected'), c);
  const unread = UNREAD_FIELDS.filter((k) => cna[k] !== undefined);
  if (unread.length > 0) c.warn(`These CVE fields have no place in a case and were not read: ${unread.join(', ')}.`);
  // GitHub's CNA names the advisory it published the CVE from (a GHSA id): the same vulnerability.
  const source = cna['source'] === undefined ? {} : objectAt(cna['source'], at(path, 'source'));
  const advisory = optionalString(source, 'advisory', at(path, 'source'));
  const aliases = advisory !== undefined && /^[A-Z][A-Z0-9]*-[\w-]+$/.test(advisory) ? [advisory] : [];
  return {
    ...base,
    aliases,
    related: [],
    summary: title || firstSentence(description),
    details: details(description, cna, path),
    withdrawn: null,
    cvssVectors,
    cwes,
    packages: c.packages,
    references: c.references,
    credits,
    warnings: c.warnings,
  };
}
