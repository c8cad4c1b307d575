/*
 * What reading an upstream advisory (OSV, CVE JSON 5) yields, whatever its format: the neutral
 * facts a case can be opened from, plus, in plain words, what the format said that a case cannot
 * hold. Also the small hand-written shape checks the readers share: every bad input is refused as
 * VALIDATION_FAILED naming the JSON path of the field at fault.
 */

import type {
  RecordCredit,
  RecordPackage,
  RecordRange,
  RecordReference,
} from '../domain/advisories/advisory-record.js';
import { DomainError } from '../errors.js';

export interface ImportedAdvisory {
  source: 'osv' | 'cve5';
  /** The id in the source (an OSV id, a CVE id); empty when a bare CVE container does not say it. */
  sourceId: string;
  /** The source's other ids of the same vulnerability; the caller adds `sourceId`. */
  aliases: string[];
  related: string[];
  summary: string;
  /** Markdown (OSV) or plain text (CVE), as given. */
  details: string;
  published: string | null;
  modified: string | null;
  withdrawn: string | null;
  /** CVSS 2.0, 3.x and 4.0 vectors as given; the case's severity decides which it uses. */
  cvssVectors: string[];
  cwes: number[];
  /** Every range has `branch: null`: the upstream's branches are not this project's. */
  packages: RecordPackage[];
  references: RecordReference[];
  credits: RecordCredit[];
  /** What could not be carried over, in plain words, for the team to check by hand. */
  warnings: string[];
}

export type Json = Record<string, unknown>;

export function invalid(field: string, message: string): never {
  throw new DomainError('VALIDATION_FAILED', message, { field });
}

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The JSON path of a key below `path` ("" is the document itself). */
export const at = (path: string, key: string | number): string =>
  typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;

export function objectAt(value: unknown, path: string, what = 'an object'): Json {
  if (!isObject(value)) invalid(path, `${path || 'The document'} must be ${what}.`);
  return value;
}

/** The value of an optional string field; refuses any other type. */
export function optionalString(obj: Json, key: string, path: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') invalid(at(path, key), `${at(path, key)} must be a string.`);
  return value;
}

export function requiredString(obj: Json, key: string, path: string): string {
  const value = optionalString(obj, key, path);
  if (value === undefined || value.trim() === '') invalid(at(path, key), `${at(path, key)} is required.`);
  return value;
}

/** An optional array field (null counts as absent, as OSV allows for several lists). */
export function optionalArray(obj: Json, key: string, path: string): unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) invalid(at(path, key), `${at(path, key)} must be a list.`);
  return value;
}

export function stringList(obj: Json, key: string, path: string): string[] {
  return optionalArray(obj, key, path).map((item, i) => {
    if (typeof item !== 'string') invalid(at(at(path, key), i), `${at(at(path, key), i)} must be a string.`);
    return item;
  });
}

/** The first non-empty line of Markdown, without its heading marks: a title when none is given. */
export function firstLine(text: string): string {
  for (const line of text.split(/\r?\n/)) {
    const clean = line.replace(/^\s*#+\s*/, '').trim();
    if (clean !== '') return clean;
  }
  return '';
}

/** The first sentence of plain text, on one line. */
export function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const end = /[.!?](\s|$)/.exec(flat);
  return end ? flat.slice(0, end.index + 1) : flat;
}

/** A browsable commit URL for the forges whose URL scheme is known; undefined elsewhere. */
export function commitUrl(repo: string, commit: string): string | undefined {
  const match = /^(?:https?|git):\/\/(github\.com|gitlab\.com)\/([^/\s]+\/[^\s]+?)(?:\.git)?\/?$/.exec(repo);
  return match ? `https://${match[1]}/${match[2]}/commit/${commit}` : undefined;
}

export const isHttpUrl = (url: string): boolean => /^https?:\/\/[^\s/]+/.test(url);

/**
 * Collects packages, ranges, references and warnings as a reader finds them: the same package met
 * twice (GitHub writes one `affected` entry per range) becomes one package holding both, which
 * OSV's evaluation (a version is affected if any entry says so) reads the same.
 */
export class ImportCollector {
  readonly packages: RecordPackage[] = [];
  readonly references: RecordReference[] = [];
  readonly warnings: string[] = [];

  package(ecosystem: string, name: string, purl: string | null): RecordPackage {
    let pkg = this.packages.find((p) => p.ecosystem === ecosystem && p.name === name);
    if (!pkg) {
      pkg = { ecosystem, name, purl, ranges: [], versions: [] };
      this.packages.push(pkg);
    }
    if (pkg.purl === null && purl !== null) pkg.purl = purl;
    return pkg;
  }

  range(pkg: RecordPackage, range: Omit<RecordRange, 'branch'>): void {
    const same = pkg.ranges.some(
      (r) => r.introduced === range.introduced && r.fixed === range.fixed && r.lastAffected === range.lastAffected,
    );
    if (!same) pkg.ranges.push({ branch: null, ...range });
  }

  version(pkg: RecordPackage, version: string): void {
    if (!pkg.versions.includes(version)) pkg.versions.push(version);
  }

  reference(ref: RecordReference): void {
    if (!this.references.some((r) => r.url === ref.url && r.type === ref.type)) this.references.push(ref);
  }

  /** A reference the reader made up from other data (a fix commit of a GIT range): only if the URL is new. */
  derivedReference(ref: RecordReference): void {
    if (!this.references.some((r) => r.url === ref.url)) this.references.push(ref);
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }
}
