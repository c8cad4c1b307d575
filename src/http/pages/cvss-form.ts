import { scoreCvss, type CvssScore } from '../../domain/severity/cvss.js';
import { cvssMetrics, notDefined } from '../../domain/severity/cvss-metrics.js';
import { DomainError, isDomainError } from '../../errors.js';
import { field } from './forms.js';

/** The versions a team scores in; 3.0 and 2.0 vectors are kept only when they come in with an import. */
export type CalculatorVersion = '3.1' | '4.0';
export type CvssIntent = 'calculate' | 'apply' | 'save' | 'clear';

export const REASON_MAX = 2000;

export interface CvssForm {
  version: CalculatorVersion;
  intent: CvssIntent;
  /** The canonical vector; null when the intent is clear. */
  vector: string | null;
  /** The score of `vector` (already computed to validate it); null when the intent is clear. */
  score: CvssScore | null;
  /** Trimmed; '' when none was given. */
  reason: string;
}

const INTENTS: readonly CvssIntent[] = ['calculate', 'apply', 'save', 'clear'];

const invalid = (field: string, message: string) => new DomainError('VALIDATION_FAILED', message, { field });

function readVersion(body: Record<string, unknown>): CalculatorVersion {
  const version = field(body, 'version');
  if (version === '3.1' || version === '4.0') return version;
  if (version === '3.0' || version === '2.0') {
    throw invalid('version', `CVSS ${version} vectors are accepted only when imported; score in CVSS 3.1 or 4.0 here.`);
  }
  throw invalid('version', 'Choose CVSS 3.1 or CVSS 4.0.');
}

/** The vector the radio buttons spell (m_<KEY> fields), before validation; base metrics left out are skipped. */
function chosenVector(version: CalculatorVersion, body: Record<string, unknown>, requireBase: boolean): string {
  const parts: string[] = [];
  for (const { key, name, group } of cvssMetrics[version]) {
    const value = field(body, `m_${key}`);
    if (value === '' || value === notDefined(version)) {
      if (group === 'base' && requireBase) throw invalid(key, `${name} (${key}) is required.`);
      continue;
    }
    parts.push(`${key}:${value}`);
  }
  return `CVSS:${version}/${parts.join('/')}`;
}

/** Scores the vector; an error naming a metric is put on that metric's field when the radios spelled it. */
function validated(vector: string, fieldOfMetric: boolean): CvssScore {
  try {
    return scoreCvss(vector);
  } catch (err) {
    const metric = isDomainError(err) ? err.details?.metric : undefined;
    if (!fieldOfMetric || !isDomainError(err) || typeof metric !== 'string') throw err;
    throw new DomainError(err.code, err.message, { field: metric, metric });
  }
}

function pasted(version: CalculatorVersion, body: Record<string, unknown>): CvssScore {
  const text = field(body, 'vector').trim();
  if (text === '') throw invalid('vector', `Paste a CVSS ${version} vector to apply it.`);
  const score = validated(text, false);
  if (score.version !== version) {
    const imported = score.version === '3.0' || score.version === '2.0';
    throw invalid(
      'vector',
      imported
        ? `CVSS ${score.version} vectors are accepted only when imported; this form takes CVSS ${version}.`
        : `That is a CVSS ${score.version} vector; this form takes CVSS ${version}.`,
    );
  }
  return score;
}

/**
 * Reads the CVSS calculator form. calculate and save spell the vector from the radio buttons (every
 * base metric required), apply takes the pasted vector, clear takes none. Throws VALIDATION_FAILED
 * with `field` = the metric key, 'vector', 'reason', 'version' or 'intent'.
 */
export function readCvssForm(body: Record<string, unknown>): CvssForm {
  const version = readVersion(body);
  const intent = field(body, 'intent') as CvssIntent;
  if (!INTENTS.includes(intent)) throw invalid('intent', 'Choose Calculate, Apply vector, Save or Remove.');
  const reason = field(body, 'reason').trim();
  if (reason.length > REASON_MAX) throw invalid('reason', `The reason is at most ${REASON_MAX} characters.`);
  if (intent === 'clear') return { version, intent, vector: null, score: null, reason };
  const score = intent === 'apply' ? pasted(version, body) : validated(chosenVector(version, body, true), true);
  return { version, intent, vector: score.vector, score, reason };
}

/**
 * What to show again after readCvssForm refused the form: the version, the radios as they were (a
 * possibly incomplete vector), the pasted text and the reason, so nothing the user did is lost.
 */
export function cvssFormDraft(body: Record<string, unknown>): {
  version: CalculatorVersion;
  vector: string | null;
  pasted: string;
  reason: string;
} {
  const version: CalculatorVersion = field(body, 'version') === '4.0' ? '4.0' : '3.1';
  const vector = chosenVector(version, body, false);
  return {
    version,
    vector: vector === `CVSS:${version}/` ? null : vector,
    pasted: field(body, 'vector'),
    reason: field(body, 'reason'),
  };
}
