import { DomainError } from '../../errors.js';
import { cvssMetrics, notDefined } from './cvss-metrics.js';
import type { CvssVersion, MetricDefinition } from './cvss-metrics.js';

export interface ParsedMetric {
  readonly definition: MetricDefinition;
  readonly value: string;
}

/** A syntactically valid vector: its version and its defined metrics (Not Defined dropped), in canonical order. */
export interface ParsedCvssVector {
  readonly version: CvssVersion;
  readonly metrics: readonly ParsedMetric[];
}

const prefixed = /^CVSS:(\d+\.\d+)\/(.*)$/;

function invalid(message: string, metric?: string): DomainError {
  return new DomainError(
    'VALIDATION_FAILED',
    message,
    metric === undefined ? { field: 'vector' } : { field: 'vector', metric },
  );
}

function splitVersion(vector: string): { version: CvssVersion; body: string } {
  const match = prefixed.exec(vector);
  if (match) {
    const version = match[1];
    if (version === '3.0' || version === '3.1' || version === '4.0') return { version, body: match[2] ?? '' };
    throw invalid(`CVSS:${version} is not a supported CVSS version (use CVSS:3.0, CVSS:3.1 or CVSS:4.0)`);
  }
  // CVSS 2.0 vectors carry no prefix; NVD sometimes wraps them in parentheses.
  const body = vector.startsWith('(') && vector.endsWith(')') ? vector.slice(1, -1) : vector;
  if (/(^|\/)Au:/.test(body)) return { version: '2.0', body };
  throw invalid('A CVSS vector must start with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/ (or be a CVSS 2.0 vector)');
}

/**
 * Parses a vector strictly by value and leniently by order: every metric must be known, valid and
 * given once, every base metric must be present, but metrics may come in any order (real-world
 * vectors and the metaeffekt oracle data often do not follow the canonical order).
 */
export function parseCvssVector(input: string): ParsedCvssVector {
  const vector = input.trim();
  const { version, body } = splitVersion(vector);
  const definitions = cvssMetrics[version];
  const given = new Map<string, string>();
  for (const part of body.split('/')) {
    const colon = part.indexOf(':');
    if (colon <= 0) throw invalid(`"${part}" is not a metric of the form KEY:VALUE`);
    const key = part.slice(0, colon);
    const value = part.slice(colon + 1);
    const definition = definitions.find((d) => d.key === key);
    if (!definition) throw invalid(`${key} is not a metric of CVSS ${version}`, key);
    if (given.has(key)) throw invalid(`${definition.name} (${key}) appears more than once`, key);
    if (!definition.values.includes(value)) {
      throw invalid(`${key}:${value} is not a valid value for ${definition.name}`, key);
    }
    given.set(key, value);
  }
  const metrics: ParsedMetric[] = [];
  for (const definition of definitions) {
    const value = given.get(definition.key);
    if (value === undefined && definition.group === 'base') {
      throw invalid(`${definition.name} (${definition.key}) is missing: every base metric is required`, definition.key);
    }
    if (value !== undefined && value !== notDefined(version)) metrics.push({ definition, value });
  }
  return { version, metrics };
}

/** The canonical vector string: the version prefix (none for 2.0), then the defined metrics in spec order. */
export function formatCvssVector(parsed: ParsedCvssVector, groups?: ReadonlySet<string>): string {
  const parts = parsed.metrics
    .filter((metric) => groups === undefined || groups.has(metric.definition.group))
    .map((metric) => `${metric.definition.key}:${metric.value}`);
  return parsed.version === '2.0' ? parts.join('/') : `CVSS:${parsed.version}/${parts.join('/')}`;
}
