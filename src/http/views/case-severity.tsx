import type { CaseSeverity, ExploitationInput } from '../../domain/severity/case-severity.js';
import type { CvssScore } from '../../domain/severity/cvss.js';
import { exposureValues } from '../../domain/severity/effective-severity.js';
import type { ReleaseKind } from '../../domain/severity/severity-policy.js';
import {
  automatableValues,
  exploitationValues,
  publicSafetyImpactValues,
  type SupplierInput,
  technicalImpactValues,
  valueDensityValues,
} from '../../domain/severity/ssvc.js';
import { CsrfField } from './layout.js';
import { when } from './time.js';

/** A field error as the forms show it. */
export interface FormError {
  message: string;
  field?: string;
}

const releaseWords: Record<ReleaseKind, string> = {
  'out-of-band': 'Out of band: a release of its own as soon as the fix is ready',
  'next-patch': 'In the next patch release',
};

const exposureWords: Record<(typeof exposureValues)[number], string> = {
  few: 'Few: only unusual configurations or a small share of users run affected versions',
  some: 'Some: a noticeable share of deployments is affected',
  most: 'Most: the default configuration, or most deployments, are affected',
};

function ScoreLine({ label, score }: { label: string; score: CvssScore | null }) {
  if (!score) return null;
  return (
    <tr>
      <th scope="row">{label}</th>
      <td>
        <strong>{score.overall.score.toFixed(1)}</strong>{' '}
        <span class={`badge sev-${score.overall.rating.toLowerCase()}`}>{score.overall.rating}</span>
        {score.overall.nomenclature ? <span class="muted"> {score.overall.nomenclature}</span> : null}
      </td>
      <td>
        <code class="vector">{score.vector}</code>
      </td>
    </tr>
  );
}

function ExploitationFacts({ e }: { e: ExploitationInput }) {
  const wild = e.exploitedInTheWild
    ? `Yes${e.source ? `, reported by ${e.source}` : ''}${e.reportedOn ? ` on ${e.reportedOn}` : ''}`
    : 'Not known to be';
  return (
    <>
      <dt>Exploited in the wild</dt>
      <dd class={e.exploitedInTheWild ? 'overdue' : ''}>{wild}</dd>
      <dt>Public exploit</dt>
      <dd>{e.publicExploit ? 'Available' : 'None known'}</dd>
      <dt>Exposure</dt>
      <dd>{e.exposure ? exposureWords[e.exposure] : 'Unknown'}</dd>
    </>
  );
}

/** The case's severity at a glance: effective severity with its reasons, scores, context and the deadlines it sets. */
export function SeveritySummary({ severity, policyUrl }: { severity: CaseSeverity; policyUrl: string }) {
  const { effective, targets, cvss } = severity;
  const hasCvss = cvss.v31 || cvss.v40 || cvss.imported;
  return (
    <section class="severity-summary" id="severity" aria-labelledby="severity-heading">
      <h2 id="severity-heading">Severity</h2>
      <p class="effective">
        Effective severity{' '}
        <strong class={`badge sev-${effective.severity}`} data-effective-severity={effective.severity}>
          {effective.severity}
        </strong>
        , priority <strong data-priority={effective.priority}>{effective.priority}</strong>
        {effective.raisedFromCvss ? <span class="notice inline-notice"> raised above CVSS</span> : null}
      </p>
      <details open>
        <summary>Why</summary>
        <ol class="reasons">
          {effective.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ol>
      </details>
      <dl class="facts">
        <dt>Fix due</dt>
        <dd>
          {targets.fixDue ? (
            <>
              {when(targets.fixDue.toISOString())}{' '}
              <span data-due={targets.fixDue.toISOString()} class="due">
                (due)
              </span>
            </>
          ) : (
            'No deadline until the case has a severity'
          )}
        </dd>
        <dt>Release</dt>
        <dd>{targets.release ? releaseWords[targets.release] : 'Not decided until the case has a severity'}</dd>
        {targets.gate ? (
          <>
            <dt>Gate</dt>
            <dd class={`gate gate-${targets.gate.kind}`}>{targets.gate.words}</dd>
          </>
        ) : null}
        <dt>Owner reminded</dt>
        <dd>
          {targets.remindDays === null
            ? 'Never, at this severity'
            : `After ${targets.remindDays} days without movement`}
          {severity.nextReminderAt ? ` (next: ${when(severity.nextReminderAt)})` : ''}
        </dd>
        <ExploitationFacts e={severity.exploitation} />
        <dt>SSVC</dt>
        <dd>
          {severity.ssvc ? (
            <>
              <strong>{severity.ssvc.priority}</strong>: {severity.ssvc.explanation.summary}
            </>
          ) : (
            'Not decided'
          )}
        </dd>
        <dt>CWE</dt>
        <dd>
          {severity.cwes.length === 0
            ? 'None yet'
            : severity.cwes.map((c, i) => (
                <span key={c.id}>
                  {i > 0 ? ', ' : ''}CWE-{c.id} {c.name}
                </span>
              ))}
        </dd>
      </dl>
      {hasCvss ? (
        <table class="scores">
          <caption>CVSS</caption>
          <tbody>
            <ScoreLine label="CVSS 4.0" score={cvss.v40} />
            <ScoreLine label="CVSS 3.1" score={cvss.v31} />
            <ScoreLine label={`CVSS ${cvss.imported?.version ?? ''} (imported)`} score={cvss.imported} />
          </tbody>
        </table>
      ) : (
        <p class="muted">No CVSS score yet.</p>
      )}
      <p class="muted">
        Deadlines follow the project's <a href={policyUrl}>severity policy</a>.
      </p>
    </section>
  );
}

function Radio<T extends string>(props: { name: string; value: T; checked: boolean; label: string }) {
  return (
    <label class="check">
      <input type="radio" name={props.name} value={props.value} checked={props.checked} required /> {props.label}
    </label>
  );
}

function ErrorFor({ error, field }: { error: FormError | undefined; field: string }) {
  if (!error || error.field !== field) return null;
  return (
    <p class="notice error" role="alert">
      {error.message}
    </p>
  );
}

function OtherError({ error, fields }: { error: FormError | undefined; fields: string[] }) {
  if (!error || (error.field && fields.includes(error.field))) return null;
  return (
    <p class="notice error" role="alert">
      {error.message}
    </p>
  );
}

const ssvcWords = {
  exploitation: {
    none: 'None: no public proof of concept, no exploitation seen',
    'public-poc': 'Public proof of concept: exploit code or a method is public',
    active: 'Active: credible reports of exploitation in the wild',
  },
  automatable: { no: 'No: some steps need a human attacker', yes: 'Yes: the whole attack can be scripted' },
  valueDensity: {
    diffuse: 'Diffuse: each vulnerable system holds little of value',
    concentrated: 'Concentrated: each vulnerable system is a rich target',
  },
  technicalImpact: {
    partial: 'Partial: limited control or information',
    total: 'Total: full control of the software or all its information',
  },
  publicSafetyImpact: {
    minimal: 'Minimal: no more than negligible harm to people',
    significant: 'Significant: marginal or worse harm to people',
  },
} as const;

/** The SSVC supplier decision form; works without JavaScript. */
export function SsvcForm(props: {
  action: string;
  csrfToken: string;
  value: SupplierInput | null;
  error?: FormError;
  reason?: string;
}) {
  const v = props.value;
  const group = <K extends keyof typeof ssvcWords>(key: K, legend: string, values: readonly string[]) => (
    <fieldset>
      <legend>{legend}</legend>
      {values.map((value) => (
        <Radio
          key={value}
          name={key}
          value={value}
          checked={v?.[key] === value}
          label={(ssvcWords[key] as Record<string, string>)[value] ?? value}
        />
      ))}
      <ErrorFor error={props.error} field={key} />
    </fieldset>
  );
  const fields = ['exploitation', 'automatable', 'valueDensity', 'technicalImpact', 'publicSafetyImpact', 'reason'];
  return (
    <form method="post" action={props.action} class="severity-form" id="ssvc">
      <h3>SSVC supplier decision</h3>
      <CsrfField token={props.csrfToken} />
      <OtherError error={props.error} fields={fields} />
      {group('exploitation', 'Exploitation', exploitationValues)}
      {group('automatable', 'Automatable', automatableValues)}
      {group('valueDensity', 'Value density', valueDensityValues)}
      {group('technicalImpact', 'Technical impact', technicalImpactValues)}
      {group('publicSafetyImpact', 'Public safety impact', publicSafetyImpactValues)}
      <label>
        Why (kept in the case history)
        <textarea name="reason" rows={2} maxLength={2000} required>
          {props.reason ?? ''}
        </textarea>
      </label>
      <ErrorFor error={props.error} field="reason" />
      <button type="submit" name="intent" value="save">
        Save SSVC decision
      </button>{' '}
      {v ? (
        <button type="submit" name="intent" value="clear" class="secondary" formnovalidate>
          Remove decision
        </button>
      ) : null}
    </form>
  );
}

/** The exploitation context form; works without JavaScript. */
export function ExploitationForm(props: {
  action: string;
  csrfToken: string;
  value: ExploitationInput;
  error?: FormError;
  reason?: string;
}) {
  const v = props.value;
  const err = (f: string) => <ErrorFor error={props.error} field={`exploitation.${f}`} />;
  return (
    <form method="post" action={props.action} class="severity-form" id="exploitation">
      <h3>Exploitation context</h3>
      <CsrfField token={props.csrfToken} />
      <OtherError
        error={props.error}
        fields={['exploitation.source', 'exploitation.reportedOn', 'exploitation.exposure', 'reason']}
      />
      <label class="check">
        <input type="checkbox" name="exploitedInTheWild" value="yes" checked={v.exploitedInTheWild} /> Exploited in the
        wild
      </label>
      <label>
        Reported by <span class="hint">(only when exploited: e.g. CISA KEV, a vendor, our own logs)</span>
        <input type="text" name="source" maxLength={200} value={v.source ?? ''} />
      </label>
      {err('source')}
      <label>
        Reported on
        <input type="date" name="reportedOn" value={v.reportedOn ?? ''} />
      </label>
      {err('reportedOn')}
      <label class="check">
        <input type="checkbox" name="publicExploit" value="yes" checked={v.publicExploit} /> A public exploit is
        available
      </label>
      <label>
        Exposure <span class="hint">(how much of the user base runs affected versions)</span>
        <select name="exposure">
          <option value="" selected={v.exposure === null}>
            Unknown
          </option>
          {exposureValues.map((x) => (
            <option key={x} value={x} selected={v.exposure === x}>
              {exposureWords[x]}
            </option>
          ))}
        </select>
      </label>
      {err('exposure')}
      <label>
        Why (kept in the case history)
        <textarea name="reason" rows={2} maxLength={2000} required>
          {props.reason ?? ''}
        </textarea>
      </label>
      <ErrorFor error={props.error} field="reason" />
      <button type="submit">Save exploitation context</button>
    </form>
  );
}
