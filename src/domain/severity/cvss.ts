// The only importer of ae-cvss-calculator: the rest of Embargo sees CvssScore, never the library.
import calculator from 'ae-cvss-calculator';
import { DomainError } from '../../errors.js';
import type { CvssVersion, MetricGroup } from './cvss-metrics.js';
import { formatCvssVector, parseCvssVector } from './cvss-vector.js';
import type { ParsedCvssVector } from './cvss-vector.js';

const { Cvss2, Cvss3P0, Cvss3P1, Cvss4P0 } = calculator;

export type { CvssVersion } from './cvss-metrics.js';
export type CvssRating = 'None' | 'Low' | 'Medium' | 'High' | 'Critical';

export interface RatedScore {
  readonly score: number;
  readonly rating: CvssRating;
}

/**
 * The scores of one vector. 2.0/3.x: `temporal` and `environmental` exist when the vector defines
 * metrics of that group. 4.0 has one formula: `base` is CVSS-B, `threat` is CVSS-BT (with threat
 * metrics), `environmental` is the whole vector's CVSS-BE or CVSS-BTE (with environmental metrics).
 * `overall` is the score to show: the most specific one, named by `nomenclature` in 4.0.
 */
export interface CvssScore {
  readonly version: CvssVersion;
  readonly vector: string;
  readonly base: RatedScore;
  readonly temporal?: RatedScore;
  readonly threat?: RatedScore;
  readonly environmental?: RatedScore;
  readonly overall: RatedScore & { readonly nomenclature?: string };
}

/** FIRST's qualitative scale for 3.x and 4.0; 2.0 has none, so NVD's (Low/Medium/High) is used. */
export function cvssRating(score: number, version: CvssVersion): CvssRating {
  if (version === '2.0') return score >= 7 ? 'High' : score >= 4 ? 'Medium' : 'Low';
  if (score === 0) return 'None';
  if (score < 4) return 'Low';
  if (score < 7) return 'Medium';
  if (score < 9) return 'High';
  return 'Critical';
}

/** Scores a CVSS 2.0 (import only), 3.0, 3.1 or 4.0 vector; throws VALIDATION_FAILED naming the bad metric. */
export function scoreCvss(vector: string): CvssScore {
  const parsed = parseCvssVector(vector);
  return parsed.version === '4.0' ? scoreV4(parsed) : scoreV2V3(parsed);
}

function rated(score: number | undefined, version: CvssVersion): RatedScore {
  // The library reports "not computable" as undefined or NaN; our parser should have made that impossible.
  if (score === undefined || Number.isNaN(score)) throw new DomainError('INTERNAL', 'CVSS score not computable');
  return { score, rating: cvssRating(score, version) };
}

const has = (parsed: ParsedCvssVector, group: MetricGroup): boolean =>
  parsed.metrics.some((metric) => metric.definition.group === group);

function scoreV2V3(parsed: ParsedCvssVector): CvssScore {
  const { version } = parsed;
  const normalised = formatCvssVector(parsed);
  const Calculator = version === '2.0' ? Cvss2 : version === '3.0' ? Cvss3P0 : Cvss3P1;
  const scores = new Calculator(normalised).calculateScores();
  const base = rated(scores.base, version);
  const temporal = has(parsed, 'temporal') ? rated(scores.temporal, version) : undefined;
  const environmental = has(parsed, 'environmental') ? rated(scores.environmental, version) : undefined;
  return {
    version,
    vector: normalised,
    base,
    ...(temporal && { temporal }),
    ...(environmental && { environmental }),
    overall: environmental ?? temporal ?? base,
  };
}

function scoreV4(parsed: ParsedCvssVector): CvssScore {
  const normalised = formatCvssVector(parsed);
  // 4.0 scores the vector as a whole, so each partial score is the score of a partial vector.
  const overallOf = (groups?: ReadonlySet<string>): RatedScore => {
    const v = new Cvss4P0(formatCvssVector(parsed, groups));
    return rated(v.calculateScores().overall, '4.0');
  };
  const base = overallOf(new Set(['base']));
  const threat = has(parsed, 'threat') ? overallOf(new Set(['base', 'threat'])) : undefined;
  const environmental = has(parsed, 'environmental') ? overallOf() : undefined;
  const nomenclature = `CVSS-B${threat ? 'T' : ''}${environmental ? 'E' : ''}`;
  return {
    version: '4.0',
    vector: normalised,
    base,
    ...(threat && { threat }),
    ...(environmental && { environmental }),
    overall: { ...(environmental ?? threat ?? base), nomenclature },
  };
}
