import type { ComponentChildren } from 'preact';
import type { CvssScore, RatedScore } from '../../domain/severity/cvss.js';
import { cvssMetrics, type MetricDefinition, type MetricGroup } from '../../domain/severity/cvss-metrics.js';
import { groupWords, metricWords, valueWords } from '../../domain/severity/cvss-words.js';
import { CsrfField } from './layout.js';

// The CVSS calculator form. It works with JavaScript off (radio buttons, Calculate, Save); cvss.js
// enhances it in place from the data-cvss-* attributes: it rebuilds the vector from the radios, asks
// GET /api/v1/cvss for the scores and fills the same elements this view renders, the same way. Change
// the score markup here and in cvss.js together.

export interface CvssCalculatorProps {
  version: '3.1' | '4.0';
  /** The vector to show: saved, previewed, possibly incomplete after a refusal (the radios as they were), or null. */
  vector: string | null;
  /** Server-computed score of `vector`. */
  score?: CvssScore;
  /** Invalid input; field = metric key, 'vector' or 'reason' (anything else shows above the form). */
  error?: { message: string; field?: string };
  /** POST url of the form. */
  action: string;
  csrfToken: string;
  /** The case's saved vector of this version, to say "Not saved yet" when the shown one differs. */
  savedVector: string | null;
  /** Keep what the user typed. */
  reason?: string;
  /** Keep what the user pasted, after a refused Apply. */
  pasted?: string;
}

export const API_URL = '/api/v1/cvss';
const DASH = '—';
const NO_VECTOR = 'No metrics chosen yet';
const SAVED = 'Saved';
const NOT_SAVED = 'Not saved yet';

/** The values a vector string gives each metric, leniently: an incomplete or invalid vector still fills what it can. */
function chosenValues(version: string, vector: string | null): Map<string, string> {
  const chosen = new Map<string, string>();
  for (const part of (vector ?? '').split('/')) {
    const [key = '', value = ''] = part.split(':');
    const definition = cvssMetrics[version === '4.0' ? '4.0' : '3.1'].find((d) => d.key === key);
    if (definition?.values.includes(value)) chosen.set(key, value);
  }
  return chosen;
}

const savedState = (vector: string | null, saved: string | null) =>
  vector === null ? '' : vector === saved ? SAVED : NOT_SAVED;

function ScoreValue(props: { name: string; rated?: RatedScore; nomenclature?: string }) {
  const { rated } = props;
  return (
    <dd data-cvss-score={props.name}>
      <strong data-cvss-number>{rated ? rated.score.toFixed(1) : DASH}</strong>{' '}
      <span
        data-cvss-rating
        class={rated ? `badge sev-${rated.rating.toLowerCase()}` : 'badge'}
        hidden={rated === undefined}
      >
        {rated?.rating ?? ''}
      </span>{' '}
      {props.name === 'overall' ? (
        <span data-cvss-nomenclature class="muted" hidden={!props.nomenclature}>
          {props.nomenclature ?? ''}
        </span>
      ) : null}
    </dd>
  );
}

function FieldError(props: { id: string; for: string; error: CvssCalculatorProps['error'] }) {
  const shown = props.error?.field === props.for;
  return (
    <p class="field-error" id={props.id} data-cvss-error-for={props.for} role="alert" hidden={!shown}>
      {shown ? props.error?.message : ''}
    </p>
  );
}

function Metric(props: {
  version: '3.1' | '4.0';
  definition: MetricDefinition;
  chosen: string | undefined;
  idPrefix: string;
  error: CvssCalculatorProps['error'];
}) {
  const { version, definition, idPrefix } = props;
  const { key, group } = definition;
  const id = `${idPrefix}-${key}`;
  // A group other than base scores as Not Defined until something is chosen.
  const chosen = props.chosen ?? (group === 'base' ? undefined : 'X');
  const invalid = props.error?.field === key;
  return (
    <fieldset
      class={invalid ? 'cvss-metric invalid' : 'cvss-metric'}
      data-cvss-metric={key}
      aria-describedby={`${id}-help ${id}-explain ${id}-error`}
    >
      <legend>
        {definition.name} <span class="cvss-key">({key})</span>
      </legend>
      <p class="hint" id={`${id}-help`}>
        {metricWords(version, key).description}
      </p>
      <div class="cvss-options">
        {definition.values.map((value) => {
          const words = valueWords(version, key, value);
          return (
            <label key={value} class="cvss-option" for={`${id}-${value}`}>
              <input
                type="radio"
                id={`${id}-${value}`}
                name={`m_${key}`}
                value={value}
                checked={chosen === value}
                data-explain={words.explanation}
              />{' '}
              {words.label} <span class="cvss-key">{`${key}:${value}`}</span>
            </label>
          );
        })}
      </div>
      <p class="cvss-explain" id={`${id}-explain`} data-cvss-explain={key}>
        {chosen ? valueWords(version, key, chosen).explanation : 'Not chosen yet.'}
      </p>
      <FieldError id={`${id}-error`} for={key} error={props.error} />
    </fieldset>
  );
}

function Group(props: { group: MetricGroup; children: ComponentChildren; open: boolean }) {
  const words = groupWords(props.group);
  if (props.group === 'base') {
    return (
      <section class="cvss-group" data-cvss-group="base">
        <h4>Base metrics</h4>
        <p class="hint">{words.description} Every base metric is required.</p>
        {props.children}
      </section>
    );
  }
  return (
    <details class="cvss-group" data-cvss-group={props.group} open={props.open}>
      <summary>{words.name} metrics (optional)</summary>
      <p class="hint">{words.description}</p>
      {props.children}
    </details>
  );
}

/** The CVSS 3.1 or 4.0 calculator of a case; with cvss.js (and severity.css) it scores as the user chooses. */
export function CvssCalculator(props: CvssCalculatorProps) {
  const { version, score, error } = props;
  const definitions = cvssMetrics[version];
  const chosen = chosenValues(version, props.vector);
  const idPrefix = `cvss${version.replace('.', '')}`;
  const groups = [...new Set(definitions.map((d) => d.group))];
  const otherError =
    error && !definitions.some((d) => d.key === error.field) && !['vector', 'reason'].includes(error.field ?? '');
  const state = savedState(props.vector, props.savedVector);
  const middle = version === '4.0' ? 'threat' : 'temporal';
  return (
    <form
      method="post"
      action={props.action}
      class="cvss-calculator"
      id={idPrefix}
      aria-label={`CVSS ${version} calculator`}
      data-cvss={version}
      data-cvss-prefix={`CVSS:${version}/`}
      data-cvss-order={definitions.map((d) => d.key).join(' ')}
      data-cvss-base={definitions
        .filter((d) => d.group === 'base')
        .map((d) => d.key)
        .join(' ')}
      data-cvss-api={API_URL}
      data-cvss-saved={props.savedVector ?? ''}
    >
      <CsrfField token={props.csrfToken} />
      <input type="hidden" name="version" value={version} />

      <div class="cvss-result" aria-live="polite">
        <p class="cvss-vector">
          <span class="cvss-vector-label">CVSS {version} vector</span>{' '}
          <output data-cvss-vector data-cvss-empty={NO_VECTOR}>
            {props.vector ?? NO_VECTOR}
          </output>{' '}
          <span
            class="badge cvss-saved"
            data-cvss-saved-state
            data-cvss-saved-text={SAVED}
            data-cvss-unsaved-text={NOT_SAVED}
            hidden={state === ''}
          >
            {state}
          </span>
        </p>
        <dl class="cvss-scores">
          <div>
            <dt>Base</dt>
            <ScoreValue name="base" rated={score?.base} />
          </div>
          <div>
            <dt>{version === '4.0' ? 'Threat' : 'Temporal'}</dt>
            <ScoreValue name={middle} rated={score?.[middle]} />
          </div>
          <div>
            <dt>Environmental</dt>
            <ScoreValue name="environmental" rated={score?.environmental} />
          </div>
          <div class="cvss-overall">
            <dt>Overall</dt>
            <ScoreValue name="overall" rated={score?.overall} nomenclature={score?.overall.nomenclature} />
          </div>
        </dl>
      </div>
      <p class="notice error" data-cvss-error role="alert" hidden={!otherError}>
        {otherError ? error.message : ''}
      </p>

      <div class="cvss-paste">
        <label for={`${idPrefix}-paste`}>
          Start from a vector <span class="hint">(paste a CVSS:{version}/… vector)</span>
        </label>
        <input
          type="text"
          id={`${idPrefix}-paste`}
          name="vector"
          value={props.pasted ?? ''}
          maxLength={1000}
          autocomplete="off"
          spellcheck={false}
          aria-invalid={error?.field === 'vector' ? 'true' : undefined}
          aria-describedby={`${idPrefix}-paste-error`}
        />
        <FieldError id={`${idPrefix}-paste-error`} for="vector" error={error} />
        <button type="submit" name="intent" value="apply" class="secondary" data-cvss-apply>
          Apply vector
        </button>
      </div>

      {groups.map((group) => {
        const inGroup = definitions.filter((d) => d.group === group);
        const open = inGroup.some((d) => (chosen.has(d.key) && chosen.get(d.key) !== 'X') || error?.field === d.key);
        return (
          <Group key={group} group={group} open={open}>
            {inGroup.map((definition) => (
              <Metric
                key={definition.key}
                version={version}
                definition={definition}
                chosen={chosen.get(definition.key)}
                idPrefix={idPrefix}
                error={error}
              />
            ))}
          </Group>
        );
      })}

      <div class="cvss-actions">
        <button type="submit" name="intent" value="calculate" class="secondary" data-cvss-calculate>
          Calculate
        </button>
        <label for={`${idPrefix}-reason`}>
          Reason <span class="hint">(why this score; kept in the case history)</span>
        </label>
        <textarea
          id={`${idPrefix}-reason`}
          name="reason"
          rows={2}
          maxLength={2000}
          aria-invalid={error?.field === 'reason' ? 'true' : undefined}
          aria-describedby={`${idPrefix}-reason-error`}
        >
          {props.reason ?? ''}
        </textarea>
        <FieldError id={`${idPrefix}-reason-error`} for="reason" error={error} />
        <button type="submit" name="intent" value="save">
          Save CVSS {version}
        </button>{' '}
        {props.savedVector ? (
          <button type="submit" name="intent" value="clear" class="danger">
            Remove CVSS {version}
          </button>
        ) : null}
      </div>
    </form>
  );
}
