import {
  ADVISORY_PROSE_FIELDS,
  ADVISORY_SECTION_TITLES,
  type Advisory,
  type AdvisoryProseField,
  type AdvisoryText,
  CREDIT_TYPES,
  type Credit,
} from '../../domain/advisories/advisories.js';
import type { SecuritySettings } from '../../domain/advisories/security-settings.service.js';
import type { DomainError } from '../../errors.js';
import { CsrfField } from '../views/layout.js';
import { RemoveButton } from '../views/remove-button.js';
import { when } from '../views/time.js';
import { ErrorNotice, invalidIf } from './forms.js';

// The parts of the advisory page of a case: its text fields (the draft's form and a revision's),
// its other ids and references, its CVE id, and once published, the revision and withdrawal forms
// and the list of revisions. Every form posts without JavaScript; a refusal is shown beside the
// form it is about, with what was typed.

const PROSE_HINTS: Record<AdvisoryProseField, string> = {
  details: 'What the vulnerability is and what an attacker can do.',
  affected: 'Configurations and deployments at risk.',
  howToCheck: 'How a user tells whether they run an affected version or setup.',
  upgrade: 'The fixed versions per branch are added from the case.',
  mitigations: 'What to do until one can upgrade.',
  detection: 'Logs, indicators, crashes to look for.',
};

export const CREDIT_WORDS: Record<Credit['type'], string> = {
  FINDER: 'found it',
  REPORTER: 'reported it',
  ANALYST: 'analysed it',
  COORDINATOR: 'coordinated',
  REMEDIATION_DEVELOPER: 'wrote the fix',
  REMEDIATION_REVIEWER: 'reviewed the fix',
  REMEDIATION_VERIFIER: 'verified the fix',
  TOOL: 'tool',
  SPONSOR: 'sponsored',
  OTHER: 'other',
};

/** The forms of the page; a refusal names the one it is about. */
export type AdvisoryForm = 'draft' | 'meta' | 'cve' | 'revise' | 'withdraw';

/** The ids and references as their text areas hold them (one per line). */
export interface MetaValues {
  aliases: string;
  related: string;
  references: string;
}

/** Blank rows after the credits so that new ones can be added without JavaScript. */
const EXTRA_CREDIT_ROWS = 2;

function CreditRows({ credits, error }: { credits: Credit[]; error: DomainError | undefined }) {
  const rows = [
    ...credits,
    ...Array.from({ length: EXTRA_CREDIT_ROWS }, () => ({ name: '', type: 'FINDER' as const })),
  ];
  return (
    <fieldset>
      <legend>Credits</legend>
      <p class="hint">One person or organisation per line; leave a name empty to drop the line.</p>
      {rows.map((c, i) => (
        <div class="credit-row" key={i}>
          <label for={`credit-${i}-name`}>Name</label>
          <input
            id={`credit-${i}-name`}
            name={`credits.${i}.name`}
            value={c.name}
            maxLength={200}
            aria-invalid={invalidIf(error, `credits.${i}.name`)}
          />
          <label for={`credit-${i}-type`}>Credited for</label>
          <select id={`credit-${i}-type`} name={`credits.${i}.type`}>
            {CREDIT_TYPES.map((t) => (
              <option key={t} value={t} selected={t === c.type}>
                {CREDIT_WORDS[t]}
              </option>
            ))}
          </select>
        </div>
      ))}
    </fieldset>
  );
}

/** Summary, prose fields and credits: the draft form's inputs, and a revision's. */
export function TextFields({ text, error }: { text: AdvisoryText; error: DomainError | undefined }) {
  return (
    <>
      <label for="advisory-summary">
        Summary <span class="hint">(one line: the advisory's public title)</span>
      </label>
      <input
        id="advisory-summary"
        name="summary"
        value={text.summary}
        maxLength={300}
        aria-invalid={invalidIf(error, 'summary')}
      />
      {ADVISORY_PROSE_FIELDS.map((f) => (
        <div key={f}>
          <label for={`advisory-${f}`}>
            {ADVISORY_SECTION_TITLES[f]} <span class="hint">{PROSE_HINTS[f]} Markdown.</span>
          </label>
          <textarea id={`advisory-${f}`} name={f} rows={f === 'details' ? 8 : 4} aria-invalid={invalidIf(error, f)}>
            {text[f]}
          </textarea>
        </div>
      ))}
      <CreditRows credits={text.credits} error={error} />
    </>
  );
}

/** A refused field's name as its input is named: `aliases.2` is the aliases text area. */
const inputOf = (error: DomainError | undefined): string | undefined => {
  const f = error?.details?.field;
  return typeof f === 'string' ? f.split('.')[0] : undefined;
};

function MetaFields({ values, error }: { values: MetaValues; error: DomainError | undefined }) {
  const bad = inputOf(error);
  return (
    <>
      <label for="advisory-aliases">
        Aliases <span class="hint">Other ids of this vulnerability, one per line: GHSA-…, GO-…, an upstream id.</span>
      </label>
      <textarea id="advisory-aliases" name="aliases" rows={3} aria-invalid={bad === 'aliases' ? 'true' : undefined}>
        {values.aliases}
      </textarea>
      <label for="advisory-related">
        Related <span class="hint">Ids of related but different vulnerabilities, one per line.</span>
      </label>
      <textarea id="advisory-related" name="related" rows={2} aria-invalid={bad === 'related' ? 'true' : undefined}>
        {values.related}
      </textarea>
      <label for="advisory-references">
        References{' '}
        <span class="hint">
          One per line: a type and a URL ("FIX https://…"; ADVISORY, ARTICLE, REPORT, FIX, PACKAGE, EVIDENCE, WEB …) or
          just a URL.
        </span>
      </label>
      <textarea
        id="advisory-references"
        name="references"
        rows={4}
        aria-invalid={bad === 'references' ? 'true' : undefined}
      >
        {values.references}
      </textarea>
    </>
  );
}

export function MetaForm(props: { action: string; csrf: string; values: MetaValues; error?: DomainError }) {
  return (
    <section id="advisory-meta" aria-labelledby="advisory-meta-heading">
      <h2 id="advisory-meta-heading">Other ids and references</h2>
      <ErrorNotice error={props.error} />
      <form method="post" action={props.action}>
        <CsrfField token={props.csrf} />
        <MetaFields values={props.values} error={props.error} />
        <button type="submit">Save ids and references</button>
      </form>
    </section>
  );
}

export interface CveSectionProps {
  action: string;
  csrf: string;
  advisory: Advisory;
  settings: SecuritySettings;
  /** Reserved ids of the pool, free to assign (a CNA project). */
  free: string[];
  poolUrl: string;
  canEdit: boolean;
  /** What was typed in the request form, after a refusal. */
  typed?: { requestedFrom: string; cveId: string };
  error?: DomainError;
}

/** The draft's CVE id: from the pool (a CNA project), or requested elsewhere and typed in. */
export function CveSection(props: CveSectionProps) {
  const { advisory, settings, error } = props;
  const cna = settings.cveSource === 'cna';
  return (
    <section id="advisory-cve" aria-labelledby="advisory-cve-heading">
      <h2 id="advisory-cve-heading">CVE id</h2>
      <p>
        {advisory.cveId ? (
          <strong data-advisory-cve={advisory.cveId}>{advisory.cveId}</strong>
        ) : (
          <span class="muted">None yet.</span>
        )}
        {advisory.cveRequestedFrom ? (
          <span class="muted" data-cve-requested-from={advisory.cveRequestedFrom}>
            {' '}
            Requested from {advisory.cveRequestedFrom}
            {advisory.cveRequestedAt ? ` on ${when(advisory.cveRequestedAt)}` : ''}.
          </span>
        ) : null}
      </p>
      <ErrorNotice error={error} />
      {!props.canEdit ? null : cna ? (
        <>
          <p class="hint">
            The project is a CNA: its ids come from its pool ({props.free.length} free).{' '}
            {props.free.length === 0 ? (
              <>
                An admin reserves more under <a href={props.poolUrl}>Settings · CVE ids</a>.
              </>
            ) : null}
          </p>
          <form method="post" action={props.action} class="inline">
            <CsrfField token={props.csrf} />
            <button type="submit">Assign the next CVE id</button>
          </form>
          {props.free.length ? (
            <form method="post" action={props.action} class="row">
              <CsrfField token={props.csrf} />
              <label for="cve-pick">Or pick one</label>
              <select id="cve-pick" name="cveId" aria-invalid={invalidIf(error, 'cveId')}>
                {props.free.map((id) => (
                  <option key={id} value={id}>
                    {id}
                  </option>
                ))}
              </select>
              <button type="submit" class="secondary">
                Assign this id
              </button>
            </form>
          ) : null}
        </>
      ) : (
        <form method="post" action={`${props.action}-request`}>
          <CsrfField token={props.csrf} />
          <p class="hint">
            The project is not a CNA: say whom the id was requested from, and type it in when it comes.
          </p>
          <label for="cve-requested-from">Requested from</label>
          <input
            id="cve-requested-from"
            name="requestedFrom"
            maxLength={200}
            value={props.typed?.requestedFrom ?? advisory.cveRequestedFrom ?? settings.cveRequestFrom ?? ''}
            aria-invalid={invalidIf(error, 'requestedFrom')}
          />
          <label for="cve-id">
            CVE id <span class="hint">(empty while it is awaited)</span>
          </label>
          <input
            id="cve-id"
            name="cveId"
            placeholder="CVE-2026-12345"
            maxLength={30}
            value={props.typed?.cveId ?? advisory.cveId ?? ''}
            aria-invalid={invalidIf(error, 'cveId')}
          />
          <button type="submit">Save the CVE request</button>
        </form>
      )}
      {props.canEdit && advisory.cveId ? (
        <RemoveButton action={`${props.action}/remove`} csrf={props.csrf} label="Remove the CVE id" />
      ) : null}
    </section>
  );
}

/** What the revision form holds: the text, the ids and references, the CVE id and what changed. */
export interface RevisionValues {
  text: AdvisoryText;
  meta: MetaValues;
  cveId: string;
  revisionSummary: string;
}

export function ReviseForm(props: { action: string; csrf: string; values: RevisionValues; error?: DomainError }) {
  const { values, error } = props;
  return (
    <section id="advisory-revise" aria-labelledby="advisory-revise-heading">
      <h2 id="advisory-revise-heading">Publish a revision</h2>
      <p class="hint">
        The public advisory is rebuilt from this text and from the case as it stands now (fixed versions, scores), its
        modified date and revision go up, and the earlier revisions stay listed.
      </p>
      <ErrorNotice error={error} />
      <form method="post" action={props.action}>
        <CsrfField token={props.csrf} />
        <label for="revision-summary">
          What changed <span class="hint">(one line, shown in the revision history)</span>
        </label>
        <input
          id="revision-summary"
          name="revisionSummary"
          value={values.revisionSummary}
          maxLength={300}
          required
          aria-invalid={invalidIf(error, 'revisionSummary')}
        />
        <TextFields text={values.text} error={error} />
        <MetaFields values={values.meta} error={error} />
        <label for="revision-cve">
          CVE id <span class="hint">(when one came after publication)</span>
        </label>
        <input
          id="revision-cve"
          name="cveId"
          value={values.cveId}
          maxLength={30}
          placeholder="CVE-2026-12345"
          aria-invalid={invalidIf(error, 'cveId')}
        />
        <button type="submit">Publish the revision</button>
      </form>
    </section>
  );
}

export function WithdrawForm(props: { action: string; csrf: string; reason: string; error?: DomainError }) {
  const { error } = props;
  return (
    <section id="advisory-withdraw" aria-labelledby="advisory-withdraw-heading">
      <h2 id="advisory-withdraw-heading">Withdraw</h2>
      <p class="hint">
        For an advisory published in error (not a vulnerability, a duplicate). The page stays, and every format says it
        was withdrawn, with the reason. It cannot be undone.
      </p>
      <ErrorNotice error={error} />
      <form method="post" action={props.action}>
        <CsrfField token={props.csrf} />
        <label for="withdraw-reason">Reason (one line, public)</label>
        <input
          id="withdraw-reason"
          name="reason"
          value={props.reason}
          maxLength={300}
          required
          aria-invalid={invalidIf(error, 'reason')}
        />
        <label class="check">
          <input type="checkbox" name="confirm" value="1" aria-invalid={invalidIf(error, 'confirm')} /> I understand
          that the advisory is marked withdrawn in every format.
        </label>
        <button type="submit" class="danger">
          Withdraw the advisory
        </button>
      </form>
    </section>
  );
}

export interface RevisionItem {
  number: number;
  at: string;
  summary: string;
  actorLabel: string;
}

export function RevisionsList(props: { publicUrl: string; revisions: RevisionItem[] }) {
  return (
    <section id="advisory-revisions" aria-labelledby="advisory-revisions-heading">
      <h2 id="advisory-revisions-heading">Revisions</h2>
      <p>
        <a href={props.publicUrl}>The public advisory</a>
      </p>
      <ol class="timeline">
        {props.revisions.map((r) => (
          <li key={r.number} data-revision={r.number}>
            <span class="meta">
              {when(r.at)} · {r.actorLabel}
            </span>
            <br />
            <strong>Revision {r.number}</strong>: {r.summary}{' '}
            <a href={`${props.publicUrl}?revision=${r.number}`}>as published</a>
          </li>
        ))}
      </ol>
    </section>
  );
}
