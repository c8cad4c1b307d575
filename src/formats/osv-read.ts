/*
 * Reads an OSV record (ossf/osv-schema, any 1.x version) as parsed JSON into what a case can be
 * opened from. The shape is checked by hand, field by field, so a bad document is refused with the
 * path of the field at fault; what is well-formed but has no place in a case (GIT ranges, limit
 * events, Go's affected symbols, unknown ecosystems ...) is kept as a warning instead.
 */

import { CREDIT_TYPES, type CreditType } from '../domain/advisories/advisories.js';
import {
  REFERENCE_TYPES,
  type RecordCredit,
  type RecordPackage,
  type ReferenceType,
} from '../domain/advisories/advisory-record.js';
import { parseEcosystem } from '../domain/cases/ecosystems.js';
import {
  at,
  commitUrl,
  firstLine,
  type ImportedAdvisory,
  ImportCollector,
  invalid,
  isHttpUrl,
  type Json,
  objectAt,
  optionalArray,
  optionalString,
  requiredString,
  stringList,
} from './imported-advisory.js';

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
// The Go vulnerability database's repository stores its records with zero dates (osv.dev serves
// the real ones); a year-1 date means "not given", not a publication in antiquity.
const ZERO_DATE = /^0001-01-01T00:00:00(\.0+)?Z$/;

function timestamp(doc: Json, key: string, c: ImportCollector, required = false): string | null {
  const value = required ? requiredString(doc, key, '') : optionalString(doc, key, '');
  if (value === undefined) return null;
  if (!RFC3339_UTC.test(value)) invalid(key, `${key} must be an RFC 3339 UTC time such as 2026-03-09T16:00:00Z.`);
  if (ZERO_DATE.test(value)) {
    c.warn(`The ${key} date ${value} is a placeholder; it was left unset.`);
    return null;
  }
  return value;
}

type Vector = { type: string; score: string };

function severities(list: unknown[], path: string): Vector[] {
  return list.map((item, i) => {
    const obj = objectAt(item, at(path, i));
    return { type: requiredString(obj, 'type', at(path, i)), score: requiredString(obj, 'score', at(path, i)) };
  });
}

function vectorsOf(list: Vector[], c: ImportCollector, into: string[]): void {
  for (const s of list) {
    if (s.type === 'CVSS_V2' || s.type === 'CVSS_V3' || s.type === 'CVSS_V4') {
      if (!into.includes(s.score)) into.push(s.score);
    } else {
      c.warn(`The ${s.type} severity "${s.score}" has no place in a case; only CVSS vectors were kept.`);
    }
  }
}

const EVENT_KEYS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;
type Event = { kind: (typeof EVENT_KEYS)[number]; value: string };

function events(range: Json, path: string): Event[] {
  const list = optionalArray(range, 'events', path);
  const events = list.map((item, k): Event => {
    const eventPath = at(at(path, 'events'), k);
    const obj = objectAt(item, eventPath);
    const keys = Object.keys(obj);
    const kind = EVENT_KEYS.find((key) => key === keys[0]);
    if (keys.length !== 1 || kind === undefined) {
      invalid(eventPath, `${eventPath} must hold exactly one of introduced, fixed, last_affected or limit.`);
    }
    return { kind, value: requiredString(obj, kind, eventPath) };
  });
  if (!events.some((e) => e.kind === 'introduced')) {
    invalid(at(path, 'events'), `${at(path, 'events')} must contain an introduced event.`);
  }
  return events;
}

/**
 * One case range per introduced..fixed (or ..last_affected) pair, read in the order given: the spec
 * recommends sorted events and Embargo has no version ordering to sort by. A second introduced
 * before an end, or an end with nothing open, means the events are not sorted: read as given and
 * flagged, since guessing the ordering of another ecosystem's versions could invent a range.
 */
function pairRanges(list: Event[], onRange: (introduced: string, end: Event | null) => void): boolean {
  let open: string | null = null;
  let ordered = true;
  for (const e of list) {
    if (e.kind === 'limit') continue;
    if (e.kind === 'introduced') {
      if (open === null) open = e.value;
      else ordered = false;
    } else if (open === null) {
      ordered = false;
    } else {
      onRange(open, e);
      open = null;
    }
  }
  if (open !== null) onRange(open, null);
  return ordered;
}

function gitRange(range: Json, path: string, list: Event[], label: string, c: ImportCollector): void {
  const repo = requiredString(range, 'repo', path);
  let fixes = 0;
  for (const e of list) {
    const url = e.kind === 'fixed' ? commitUrl(repo, e.value) : undefined;
    if (url) {
      c.derivedReference({ type: 'FIX', url });
      fixes += 1;
    }
  }
  if (fixes === 0 && isHttpUrl(repo)) c.derivedReference({ type: 'WEB', url: repo });
  const kept = fixes > 0 ? 'its fix commits are kept as FIX references' : 'the repository is kept as a reference';
  c.warn(`${label}: a GIT range of ${repo} cannot be attached to a package (cases hold version ranges); ${kept}.`);
}

function readAffected(item: unknown, path: string, vectors: string[], c: ImportCollector): void {
  const entry = objectAt(item, path);
  let pkg: RecordPackage | null = null;
  let label = `${path} (no package)`;
  if (entry['package'] !== undefined && entry['package'] !== null) {
    const pkgPath = at(path, 'package');
    const obj = objectAt(entry['package'], pkgPath);
    const ecosystem = requiredString(obj, 'ecosystem', pkgPath);
    const name = requiredString(obj, 'name', pkgPath);
    const purl = optionalString(obj, 'purl', pkgPath) ?? null;
    label = `${ecosystem} ${name}`;
    try {
      parseEcosystem(ecosystem);
      pkg = c.package(ecosystem, name, purl);
    } catch {
      c.warn(`${label}: "${ecosystem}" is not an ecosystem a case can hold; the package was left out.`);
    }
  }
  const ownSeverity = severities(optionalArray(entry, 'severity', path), at(path, 'severity'));
  if (ownSeverity.length > 0) {
    c.warn(`${label}: its own severity applies to the whole advisory in a case.`);
    vectorsOf(ownSeverity, c, vectors);
  }
  optionalArray(entry, 'ranges', path).forEach((item, j) => {
    const rangePath = at(at(path, 'ranges'), j);
    const range = objectAt(item, rangePath);
    const type = requiredString(range, 'type', rangePath);
    const list = events(range, rangePath);
    if (type === 'GIT') return gitRange(range, rangePath, list, label, c);
    if (type !== 'ECOSYSTEM' && type !== 'SEMVER') {
      return c.warn(`${label}: a range of unknown type "${type}" was left out.`);
    }
    if (list.some((e) => e.kind === 'limit')) c.warn(`${label}: limit events were ignored (they bound GIT ranges).`);
    if (pkg === null) return c.warn(`${label}: a ${type} range without a package was left out.`);
    const target = pkg;
    const ordered = pairRanges(list, (introduced, end) =>
      c.range(target, {
        introduced,
        fixed: end?.kind === 'fixed' ? end.value : null,
        lastAffected: end?.kind === 'last_affected' ? end.value : null,
      }),
    );
    if (!ordered) c.warn(`${label}: the events of range ${j + 1} are not sorted pairs; read in the order given.`);
  });
  const versions = stringList(entry, 'versions', path);
  if (pkg !== null) for (const v of versions) c.version(pkg, v);
  else if (versions.length > 0) c.warn(`${label}: listed versions without a package were left out.`);
  const specific = entry['ecosystem_specific'];
  if (
    specific !== undefined &&
    specific !== null &&
    Object.keys(objectAt(specific, at(path, 'ecosystem_specific'))).length > 0
  ) {
    c.warn(`${label}: ecosystem_specific data (such as affected functions) has no place in a case.`);
  }
}

function readReferences(doc: Json, c: ImportCollector): void {
  optionalArray(doc, 'references', '').forEach((item, i) => {
    const path = at('references', i);
    const obj = objectAt(item, path);
    const url = requiredString(obj, 'url', path);
    const type = requiredString(obj, 'type', path);
    const known = (REFERENCE_TYPES as readonly string[]).includes(type);
    if (!known) c.warn(`The reference ${url} of type ${type} is kept as WEB.`);
    c.reference({ type: known ? (type as ReferenceType) : 'WEB', url });
  });
}

function readCredits(doc: Json, c: ImportCollector): RecordCredit[] {
  return optionalArray(doc, 'credits', '').map((item, i) => {
    const path = at('credits', i);
    const obj = objectAt(item, path);
    const name = requiredString(obj, 'name', path);
    const type = optionalString(obj, 'type', path);
    const known = type !== undefined && (CREDIT_TYPES as readonly string[]).includes(type);
    if (type !== undefined && !known) c.warn(`The credit type ${type} of ${name} is kept as OTHER.`);
    // OSV's type is optional and a case's is not: OTHER ("any other role") claims nothing more.
    return { name, type: known ? (type as CreditType) : 'OTHER', contact: stringList(obj, 'contact', path) };
  });
}

function readCwes(doc: Json, c: ImportCollector): number[] {
  const specific = doc['database_specific'];
  if (specific === undefined || specific === null) return [];
  const ids = stringList(objectAt(specific, 'database_specific'), 'cwe_ids', 'database_specific');
  const cwes: number[] = [];
  for (const text of ids) {
    const match = /^CWE-(\d+)$/i.exec(text.trim());
    if (!match) c.warn(`"${text}" in database_specific.cwe_ids is not a CWE id.`);
    else if (!cwes.includes(Number(match[1]))) cwes.push(Number(match[1]));
  }
  return cwes;
}

/** An OSV record, as parsed JSON, read into an import; VALIDATION_FAILED with the field path when malformed. */
export function readOsv(json: unknown): ImportedAdvisory {
  const doc = objectAt(json, '', 'an OSV record (a JSON object)');
  const c = new ImportCollector();
  const id = requiredString(doc, 'id', '');
  const modified = timestamp(doc, 'modified', c, true);
  const published = timestamp(doc, 'published', c);
  const withdrawn = timestamp(doc, 'withdrawn', c);
  const aliases = [...new Set(stringList(doc, 'aliases', ''))].filter((a) => a !== id);
  const related = [...new Set(stringList(doc, 'related', ''))];
  const upstream = stringList(doc, 'upstream', '');
  if (upstream.length > 0) c.warn(`The upstream ids ${upstream.join(', ')} have no place in a case.`);
  const details = optionalString(doc, 'details', '') ?? '';
  const summary = optionalString(doc, 'summary', '')?.trim() || firstLine(details) || id;
  const cvssVectors: string[] = [];
  vectorsOf(severities(optionalArray(doc, 'severity', ''), 'severity'), c, cvssVectors);
  readReferences(doc, c);
  const credits = readCredits(doc, c);
  const cwes = readCwes(doc, c);
  optionalArray(doc, 'affected', '').forEach((item, i) => readAffected(item, at('affected', i), cvssVectors, c));
  return {
    source: 'osv',
    sourceId: id,
    aliases,
    related,
    summary,
    details,
    published,
    modified,
    withdrawn,
    cvssVectors,
    cwes,
    packages: c.packages,
    references: c.references,
    credits,
    warnings: c.warnings,
  };
}
