import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import {
  ADVISORY_PROSE_FIELDS,
  ADVISORY_SECTION_TITLES,
  type Advisory,
  type AdvisoryProseField,
  type AdvisoryText,
  CREDIT_TYPES,
  type Credit,
} from '../../domain/advisories/advisories.js';
import {
  getAdvisory,
  parseAdvisoryText,
  saveAdvisoryDraft,
  suggestedCredits,
} from '../../domain/advisories/advisories.service.js';
import type { Case } from '../../domain/cases/cases.js';
import { caseSubject } from '../../domain/cases/collaborators.service.js';
import { getCaseForTeam } from '../../domain/cases/cases.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import type { DomainError } from '../../errors.js';
import { authorize, can } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { when } from '../views/time.js';
import { ErrorNotice, field, formFailure, invalidIf } from './forms.js';
import { requireSignIn } from './require-user.js';

// A case's advisory draft: a summary on the case page, and a page of its own to write it (prose
// fields are long; a refused save must keep what was typed). Distributors are sent the draft with
// their notice, and the go publishes it. Reads of the draft are audited (it is embargoed content).

const PROSE_HINTS: Record<AdvisoryProseField, string> = {
  details: 'What the vulnerability is and what an attacker can do.',
  affected: 'Configurations and deployments at risk.',
  howToCheck: 'How a user tells whether they run an affected version or setup.',
  upgrade: 'The fixed versions per branch are added from the case.',
  mitigations: 'What to do until one can upgrade.',
  detection: 'Logs, indicators, crashes to look for.',
};

const CREDIT_WORDS: Record<Credit['type'], string> = {
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

const advisoryUrl = (slug: string, number: number) => `/p/${slug}/cases/${number}/advisory`;

/** The case page's section: the draft's state and summary, and the way to the page that edits it. */
export function CaseAdvisorySection(props: {
  projectSlug: string;
  caseNumber: number;
  advisory: Advisory;
  canEdit: boolean;
}) {
  const { advisory } = props;
  const url = advisoryUrl(props.projectSlug, props.caseNumber);
  return (
    <section id="advisory" aria-labelledby="advisory-heading">
      <h2 id="advisory-heading">Advisory</h2>
      {advisory.publishedAt && advisory.publicId ? (
        <p>
          Published as{' '}
          <a href={`/p/${props.projectSlug}/advisories/${advisory.publicId}`} data-advisory-public={advisory.publicId}>
            {advisory.publicId}
          </a>{' '}
          {when(advisory.publishedAt)}: {advisory.summary}
        </p>
      ) : advisory.updatedAt ? (
        <p>
          Draft: <strong data-advisory-summary="">{advisory.summary || '(no summary yet)'}</strong>{' '}
          <span class="muted">saved {when(advisory.updatedAt)}</span>
        </p>
      ) : (
        <p class="muted">
          No draft yet. Distributors are sent the draft with their notice, so write it before the embargo is put in
          force.
        </p>
      )}
      <p>
        <a href={url}>{props.canEdit && !advisory.publishedAt ? 'Write the advisory draft' : 'Read the advisory'}</a>
      </p>
    </section>
  );
}

interface AdvisoryPageProps {
  project: Project;
  theCase: Case;
  advisory: Advisory;
  /** What the form shows: the stored draft, the suggestion for a new one, or the refused input. */
  text: AdvisoryText;
  csrf: string;
  canEdit: boolean;
  error?: DomainError;
  saved?: boolean;
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

function AdvisoryPage(props: AdvisoryPageProps) {
  const { project, theCase, advisory, text, error } = props;
  const back = `/p/${project.slug}/cases/${theCase.number}`;
  const editable = props.canEdit && !advisory.publishedAt;
  return (
    <article class="advisory-draft">
      <p class="muted">
        <a href={`${back}#advisory`}>Case #{theCase.number}</a> · {project.name}
      </p>
      <h1>Advisory {advisory.publicId ?? 'draft'}</h1>
      <p class="embargoed">
        {advisory.publishedAt
          ? `Published ${when(advisory.publishedAt)}.`
          : 'Embargoed: distributors are sent this draft with their notice, and the release publishes it. Keep it private until then.'}
      </p>
      {props.saved ? (
        <p class="notice" role="status">
          Saved.
        </p>
      ) : null}
      <ErrorNotice error={error} />
      {editable ? (
        <form method="post" action={advisoryUrl(project.slug, theCase.number)}>
          <CsrfField token={props.csrf} />
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
          <button type="submit">Save the draft</button>
        </form>
      ) : (
        <dl class="facts">
          <dt>Summary</dt>
          <dd>{advisory.summary || 'none'}</dd>
          {ADVISORY_PROSE_FIELDS.map((f) => [
            <dt key={`${f}-t`}>{ADVISORY_SECTION_TITLES[f]}</dt>,
            <dd key={`${f}-d`} class="prose">
              {advisory[f] || 'none'}
            </dd>,
          ])}
          <dt>Credits</dt>
          <dd>
            {advisory.credits.length
              ? advisory.credits.map((c) => `${c.name} (${CREDIT_WORDS[c.type]})`).join('; ')
              : 'none'}
          </dd>
        </dl>
      )}
    </article>
  );
}

/** The submitted form as the domain reads a draft: credit rows with an empty name are dropped. */
export function draftFromForm(body: unknown): Record<string, unknown> {
  const credits: { name: string; type: string }[] = [];
  for (let i = 0; i < 60; i++) {
    const name = field(body, `credits.${i}.name`);
    if (name.trim()) credits.push({ name, type: field(body, `credits.${i}.type`) || 'OTHER' });
  }
  return {
    summary: field(body, 'summary'),
    ...Object.fromEntries(ADVISORY_PROSE_FIELDS.map((f) => [f, field(body, f)])),
    credits,
  };
}

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});
type P = { Params: { slug: string; number: string } };

/** GET and POST /p/:slug/cases/:number/advisory: case.read to read, case.advisory.edit to save. */
export function caseAdvisoryPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const tx = <T,>(fn: (trx: Trx) => Promise<T>): Promise<T> => deps.db.transaction().execute(fn);

    async function show(
      request: FastifyRequest<P>,
      reply: FastifyReply,
      project: Project,
      extra: { text?: AdvisoryText; error?: DomainError; status?: number; saved?: boolean } = {},
    ): Promise<FastifyReply> {
      const number = Number(request.params.number);
      const { theCase, advisory, suggestion } = await tx(async (trx) => {
        // The audited read of the case: the draft is embargoed content.
        const view = await getCaseForTeam(trx, deps, {
          actor: request.actor,
          origin: request.origin,
          projectId: project.id,
          number,
        });
        const a = await getAdvisory(trx, view.case);
        return {
          theCase: view.case,
          advisory: a,
          suggestion: a.updatedAt ? null : await suggestedCredits(trx, view.case.id),
        };
      });
      const text = extra.text ?? { ...advisory, credits: suggestion ?? advisory.credits };
      return reply.page(
        <AdvisoryPage
          project={project}
          theCase={theCase}
          advisory={advisory}
          text={text}
          csrf={request.csrfToken()}
          canEdit={can(request.actor, 'case.advisory.edit', { projectId: project.id })}
          {...(extra.error ? { error: extra.error } : {})}
          {...(extra.saved ? { saved: true } : {})}
        />,
        {
          title: `Advisory of case #${theCase.number} · ${project.name}`,
          ...(extra.status ? { status: extra.status } : {}),
        },
      );
    }

    app.get<P>(
      '/p/:slug/cases/:number/advisory',
      { schema: { params: Params }, preHandler: requireSignIn },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(
          request.actor,
          'case.read',
          await caseSubject(deps.db, { projectId: project.id, number: Number(request.params.number) }),
        );
        return show(request, reply, project, { saved: field(request.query, 'saved') === '1' });
      },
    );

    app.post<P>(
      '/p/:slug/cases/:number/advisory',
      { schema: { params: Params }, preHandler: requireSignIn },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'case.advisory.edit', { projectId: project.id });
        const raw = draftFromForm(request.body);
        try {
          const text = parseAdvisoryText(raw);
          const theCase = await tx(async (trx) => {
            const view = await getCaseForTeam(trx, deps, {
              actor: request.actor,
              origin: request.origin,
              projectId: project.id,
              number: Number(request.params.number),
            });
            await saveAdvisoryDraft(trx, deps, {
              actor: request.actor,
              origin: request.origin,
              theCase: view.case,
              text,
            });
            return view.case;
          });
          return reply.redirect(`${advisoryUrl(project.slug, theCase.number)}?saved=1`, 303);
        } catch (err) {
          const { error, status } = formFailure(request, err);
          const typed: AdvisoryText = {
            summary: String(raw.summary ?? ''),
            ...(Object.fromEntries(ADVISORY_PROSE_FIELDS.map((f) => [f, String(raw[f] ?? '')])) as Record<
              AdvisoryProseField,
              string
            >),
            credits: (raw.credits as Credit[]).map((c) => ({
              name: c.name,
              type: (CREDIT_TYPES as readonly string[]).includes(c.type) ? c.type : 'OTHER',
            })),
          };
          return show(request, reply, project, { text: typed, error, status });
        }
      },
    );
  };
}
