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
  saveAdvisoryMeta,
  suggestedCredits,
} from '../../domain/advisories/advisories.service.js';
import { metaAsText } from '../../domain/advisories/advisory-meta.js';
import {
  advisoryRevisions,
  reviseAdvisory,
  withdrawAdvisory,
} from '../../domain/advisories/advisory-revisions.service.js';
import { assignCveId, listPool, recordRequestedCve, unassignCveId } from '../../domain/advisories/cve-ids.service.js';
import { getSecuritySettings, type SecuritySettings } from '../../domain/advisories/security-settings.service.js';
import type { Case } from '../../domain/cases/cases.js';
import { caseSubject } from '../../domain/cases/collaborators.service.js';
import { getCaseForTeam } from '../../domain/cases/cases.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { DomainError } from '../../errors.js';
import { type Action, authorize, can } from '../../policies/policy.js';
import { renaming, revisionMeta, revisionText } from '../api/advisory-input.js';
import { CsrfField } from '../views/layout.js';
import { when } from '../views/time.js';
import {
  type AdvisoryForm,
  CREDIT_WORDS,
  CveSection,
  MetaForm,
  type MetaValues,
  type RevisionItem,
  RevisionsList,
  type RevisionValues,
  ReviseForm,
  TextFields,
  WithdrawForm,
} from './case-advisory-views.js';
import { checkbox, ErrorNotice, field, formFailure } from './forms.js';
import { requireSignIn } from './require-user.js';

// A case's advisory: a summary on the case page, and a page of its own to write the draft (prose
// fields are long; a refused save must keep what was typed), its other ids and references and its
// CVE id; once published, to revise or withdraw it. Distributors are sent the draft with their
// notice, and the go publishes it. Reads of the page are audited (the draft is embargoed content).

const advisoryUrl = (slug: string, number: number) => `/p/${slug}/cases/${number}/advisory`;

/** The case page's section: the advisory's state and summary, and the way to its page. */
export function CaseAdvisorySection(props: {
  projectSlug: string;
  caseNumber: number;
  advisory: Advisory;
  canEdit: boolean;
  canRevise?: boolean;
}) {
  const { advisory } = props;
  const url = advisoryUrl(props.projectSlug, props.caseNumber);
  const published = Boolean(advisory.publishedAt && advisory.publicId);
  return (
    <section id="advisory" aria-labelledby="advisory-heading">
      <h2 id="advisory-heading">Advisory</h2>
      {published && advisory.publicId ? (
        <p>
          Published as{' '}
          <a href={`/p/${props.projectSlug}/advisories/${advisory.publicId}`} data-advisory-public={advisory.publicId}>
            {advisory.publicId}
          </a>{' '}
          {when(advisory.publishedAt)}: {advisory.summary}
          {advisory.revision > 1 ? <span class="muted"> (revision {advisory.revision})</span> : null}
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
      {advisory.withdrawnAt ? (
        <p class="notice" data-advisory-withdrawn="">
          Withdrawn {when(advisory.withdrawnAt)}: {advisory.withdrawnReason}
        </p>
      ) : null}
      {advisory.cveId ? (
        <p>
          CVE id: <code data-advisory-cve={advisory.cveId}>{advisory.cveId}</code>
        </p>
      ) : null}
      <p>
        <a href={url}>
          {props.canEdit && !published
            ? 'Write the advisory draft'
            : props.canRevise && published && !advisory.withdrawnAt
              ? 'Revise or withdraw the advisory'
              : 'Read the advisory'}
        </a>
      </p>
    </section>
  );
}

/** What a re-rendered page keeps of the form just refused: which form, what was typed, why. */
interface Refused {
  form: AdvisoryForm;
  error: DomainError;
  text?: AdvisoryText;
  meta?: MetaValues;
  cve?: { requestedFrom: string; cveId: string };
  revision?: RevisionValues;
  reason?: string;
}

interface AdvisoryPageProps {
  project: Project;
  theCase: Case;
  advisory: Advisory;
  /** What the draft form shows: the stored draft, or the suggestion for a new one. */
  text: AdvisoryText;
  settings: SecuritySettings;
  free: string[];
  revisions: RevisionItem[];
  csrf: string;
  canEdit: boolean;
  canRevise: boolean;
  refused?: Refused;
  notice?: string;
}

function ReadOnly({ advisory }: { advisory: Advisory }) {
  const meta = metaAsText(advisory);
  return (
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
      <dt>CVE id</dt>
      <dd>{advisory.cveId ?? 'none'}</dd>
      <dt>Aliases</dt>
      <dd>{advisory.aliases.join(', ') || 'none'}</dd>
      <dt>Related</dt>
      <dd>{advisory.related.join(', ') || 'none'}</dd>
      <dt>References</dt>
      <dd class="prose">{meta.references || 'none'}</dd>
    </dl>
  );
}

function AdvisoryPage(props: AdvisoryPageProps) {
  const { project, theCase, advisory, refused } = props;
  const back = `/p/${project.slug}/cases/${theCase.number}`;
  const url = advisoryUrl(project.slug, theCase.number);
  const published = Boolean(advisory.publishedAt && advisory.publicId);
  const editable = props.canEdit && !published;
  const revisable = props.canRevise && published && !advisory.withdrawnAt;
  const errorOf = (form: AdvisoryForm) => (refused?.form === form ? refused.error : undefined);
  const meta = metaAsText(advisory);
  // A refusal of a form the page no longer shows (the advisory was published meanwhile) goes on top.
  const shown: Record<AdvisoryForm, boolean> = {
    draft: editable,
    meta: editable,
    cve: !published,
    revise: revisable,
    withdraw: revisable,
  };
  return (
    <article class="advisory-draft">
      <p class="muted">
        <a href={`${back}#advisory`}>Case #{theCase.number}</a> · {project.name}
      </p>
      <h1>Advisory {advisory.publicId ?? 'draft'}</h1>
      <p class="embargoed">
        {published
          ? `Published ${when(advisory.publishedAt)}${advisory.revision > 1 ? `, revision ${advisory.revision} of ${when(advisory.modifiedAt)}` : ''}.`
          : 'Embargoed: distributors are sent this draft with their notice, and the release publishes it. Keep it private until then.'}
      </p>
      {advisory.withdrawnAt ? (
        <p class="notice" data-advisory-withdrawn="">
          Withdrawn {when(advisory.withdrawnAt)}: {advisory.withdrawnReason}
        </p>
      ) : null}
      {refused && !shown[refused.form] ? <ErrorNotice error={refused.error} /> : null}
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      {editable ? (
        <>
          <ErrorNotice error={errorOf('draft')} />
          <form method="post" action={url}>
            <CsrfField token={props.csrf} />
            <TextFields text={props.text} error={errorOf('draft')} />
            <button type="submit">Save the draft</button>
          </form>
          <MetaForm action={`${url}/meta`} csrf={props.csrf} values={refused?.meta ?? meta} error={errorOf('meta')} />
        </>
      ) : (
        <ReadOnly advisory={advisory} />
      )}
      {published ? null : (
        <CveSection
          action={`${url}/cve`}
          csrf={props.csrf}
          advisory={advisory}
          settings={props.settings}
          free={props.free}
          poolUrl={`/p/${project.slug}/settings/cve-ids`}
          canEdit={props.canEdit}
          {...(refused?.cve ? { typed: refused.cve } : {})}
          error={errorOf('cve')}
        />
      )}
      {revisable ? (
        <>
          <ReviseForm
            action={`${url}/revisions`}
            csrf={props.csrf}
            values={refused?.revision ?? { text: advisory, meta, cveId: advisory.cveId ?? '', revisionSummary: '' }}
            error={errorOf('revise')}
          />
          <WithdrawForm
            action={`${url}/withdraw`}
            csrf={props.csrf}
            reason={refused?.reason ?? ''}
            error={errorOf('withdraw')}
          />
        </>
      ) : null}
      {published && advisory.publicId ? (
        <RevisionsList publicUrl={`/p/${project.slug}/advisories/${advisory.publicId}`} revisions={props.revisions} />
      ) : null}
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

/** The draft as typed, to show again after a refusal (an unknown credit type shows as "other"). */
function typedText(raw: Record<string, unknown>): AdvisoryText {
  return {
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
}

const metaFromForm = (body: unknown): MetaValues => ({
  aliases: field(body, 'aliases'),
  related: field(body, 'related'),
  references: field(body, 'references'),
});

const NOTICES: Record<string, string> = {
  saved: 'Saved.',
  meta: 'Saved the ids and references.',
  cve: 'Saved the CVE id.',
  revised: 'Published the revision.',
  withdrawn: 'The advisory is withdrawn.',
};

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});
type P = { Params: { slug: string; number: string } };

/**
 * GET /p/:slug/cases/:number/advisory and its forms: case.read to read; case.advisory.edit for the
 * draft, its ids and references and its CVE id; case.advisory.revise to revise or withdraw it.
 */
export function caseAdvisoryPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const tx = <T,>(fn: (trx: Trx) => Promise<T>): Promise<T> => deps.db.transaction().execute(fn);
    const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });

    async function show(
      request: FastifyRequest<P>,
      reply: FastifyReply,
      project: Project,
      extra: { text?: AdvisoryText; refused?: Refused; status?: number; notice?: string } = {},
    ): Promise<FastifyReply> {
      const number = Number(request.params.number);
      const loaded = await tx(async (trx) => {
        // The audited read of the case: the draft is embargoed content.
        const view = await getCaseForTeam(trx, deps, { ...by(request), projectId: project.id, number });
        const a = await getAdvisory(trx, view.case);
        return {
          theCase: view.case,
          advisory: a,
          suggestion: a.updatedAt ? null : await suggestedCredits(trx, view.case.id),
          settings: await getSecuritySettings(trx, project.id),
          free: (await listPool(trx, project.id)).filter((p) => p.state === 'reserved').map((p) => p.cveId),
          revisions: await advisoryRevisions(trx, view.case.id),
        };
      });
      const { advisory, suggestion } = loaded;
      const text = extra.text ?? { ...advisory, credits: suggestion ?? advisory.credits };
      const actor = request.actor;
      return reply.page(
        <AdvisoryPage
          project={project}
          theCase={loaded.theCase}
          advisory={advisory}
          text={text}
          settings={loaded.settings}
          free={loaded.free}
          revisions={loaded.revisions}
          csrf={request.csrfToken()}
          canEdit={can(actor, 'case.advisory.edit', { projectId: project.id })}
          canRevise={can(actor, 'case.advisory.revise', { projectId: project.id })}
          {...(extra.refused ? { refused: extra.refused } : {})}
          {...(extra.notice ? { notice: extra.notice } : {})}
        />,
        {
          title: `Advisory of case #${loaded.theCase.number} · ${project.name}`,
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
        const shown = Object.keys(NOTICES).find((k) => field(request.query, k) === '1');
        return show(request, reply, project, shown ? { notice: NOTICES[shown] } : {});
      },
    );

    /**
     * One form of the page: authorizes `action`, runs `change` on the case (in a transaction that
     * audits the read), then goes back to the page with `done`'s notice; a refusal re-renders it
     * with what was typed (`keep`).
     */
    function form(
      path: string,
      action: Extract<Action, 'case.advisory.edit' | 'case.advisory.revise'>,
      done: keyof typeof NOTICES,
      change: (trx: Trx, request: FastifyRequest<P>, theCase: Case) => Promise<unknown>,
      keep: (request: FastifyRequest<P>, error: DomainError) => Omit<Refused, 'error'> & { text?: AdvisoryText },
    ) {
      app.post<P>(
        `/p/:slug/cases/:number/advisory${path}`,
        { schema: { params: Params }, preHandler: requireSignIn },
        async (request, reply) => {
          const project = await requireProject(deps.db, request.params.slug);
          authorize(request.actor, action, { projectId: project.id });
          try {
            await tx(async (trx) => {
              const view = await getCaseForTeam(trx, deps, {
                ...by(request),
                projectId: project.id,
                number: Number(request.params.number),
              });
              await change(trx, request, view.case);
            });
            deps.wakeWorker();
            return reply.redirect(`${advisoryUrl(project.slug, Number(request.params.number))}?${done}=1`, 303);
          } catch (err) {
            const { error, status } = formFailure(request, err);
            const { text, ...kept } = keep(request, error);
            return show(request, reply, project, { refused: { ...kept, error }, status, ...(text ? { text } : {}) });
          }
        },
      );
    }

    form(
      '',
      'case.advisory.edit',
      'saved',
      async (trx, request, theCase) => {
        const text = parseAdvisoryText(draftFromForm(request.body));
        await saveAdvisoryDraft(trx, deps, { ...by(request), theCase, text });
      },
      (request) => ({ form: 'draft', text: typedText(draftFromForm(request.body)) }),
    );

    form(
      '/meta',
      'case.advisory.edit',
      'meta',
      async (trx, request, theCase) => {
        const meta = revisionMeta(metaFromForm(request.body), '');
        await saveAdvisoryMeta(trx, deps, { ...by(request), theCase, meta });
      },
      (request) => ({ form: 'meta', meta: metaFromForm(request.body) }),
    );

    form(
      '/cve',
      'case.advisory.edit',
      'cve',
      async (trx, request, theCase) => {
        const cveId = field(request.body, 'cveId').trim();
        await assignCveId(trx, deps, { ...by(request), theCase, ...(cveId ? { cveId } : {}) });
      },
      () => ({ form: 'cve' }),
    );

    form(
      '/cve/remove',
      'case.advisory.edit',
      'cve',
      (trx, request, theCase) => unassignCveId(trx, deps, { ...by(request), theCase }),
      () => ({ form: 'cve' }),
    );

    form(
      '/cve-request',
      'case.advisory.edit',
      'cve',
      (trx, request, theCase) =>
        recordRequestedCve(trx, deps, {
          ...by(request),
          theCase,
          requestedFrom: field(request.body, 'requestedFrom'),
          cveId: field(request.body, 'cveId').trim() || null,
        }),
      (request) => ({
        form: 'cve',
        cve: { requestedFrom: field(request.body, 'requestedFrom'), cveId: field(request.body, 'cveId') },
      }),
    );

    form(
      '/revisions',
      'case.advisory.revise',
      'revised',
      async (trx, request, theCase) => {
        const text = revisionText(draftFromForm(request.body), '');
        const meta = revisionMeta(metaFromForm(request.body), '');
        const cveId = field(request.body, 'cveId').trim();
        // The domain names the change summary "summary", which in this form is the title.
        await renaming('summary', 'revisionSummary', () =>
          reviseAdvisory(trx, deps, {
            ...by(request),
            theCase,
            summary: field(request.body, 'revisionSummary'),
            text,
            meta,
            ...(cveId ? { cveId } : {}),
          }),
        );
      },
      (request) => ({
        form: 'revise',
        revision: {
          text: typedText(draftFromForm(request.body)),
          meta: metaFromForm(request.body),
          cveId: field(request.body, 'cveId'),
          revisionSummary: field(request.body, 'revisionSummary'),
        },
      }),
    );

    form(
      '/withdraw',
      'case.advisory.revise',
      'withdrawn',
      async (trx, request, theCase) => {
        if (!checkbox(request.body, 'confirm')) {
          throw new DomainError('VALIDATION_FAILED', 'Tick the box to confirm the withdrawal.', { field: 'confirm' });
        }
        await renaming('summary', 'reason', () =>
          withdrawAdvisory(trx, deps, { ...by(request), theCase, reason: field(request.body, 'reason') }),
        );
      },
      (request) => ({ form: 'withdraw', reason: field(request.body, 'reason') }),
    );
  };
}
