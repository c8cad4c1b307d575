import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { ANNOUNCEMENT_KINDS, type AnnouncementKind, KIND_WORDS } from '../../domain/announcements/announcements.js';
import { caseAnnouncements } from '../../domain/announcements/announcements.service.js';
import type { Case } from '../../domain/cases/cases.js';
import { findCaseRow, historyOfCase, lockCase, toCase } from '../../domain/cases/cases.repository.js';
import { getCaseForTeam, requireCase } from '../../domain/cases/cases.service.js';
import { findEmbargoRow } from '../../domain/cases/embargo.repository.js';
import { listDistributors } from '../../domain/distributors/distributors.service.js';
import type { DistributorNotice } from '../../domain/distributors/distributors.js';
import { caseNotices, notifyDistributors } from '../../domain/distributors/notices.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { previewAnnouncement } from '../../domain/release/preview.js';
import { getRetrospective, type Retrospective, saveRetrospective } from '../../domain/release/retrospective.service.js';
import { DomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import { authorize, can } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { renderMarkdown } from '../views/markdown.js';
import { when } from '../views/time.js';
import { UtcTime } from './case-embargo.js';
import { ErrorNotice, field, formFailure } from './forms.js';
import { CaseDependentsList, loadCaseDependents } from './case-dependents-view.js';
import { requireSignIn } from './require-user.js';
import { replyChangeRefused } from '../views/change-refused.js';

// The disclosure around a case's embargo, on the case page for the project's members: who of the
// distributors received what and when they acknowledged, the case's public announcements and how
// many copies went out, previews of what the notices will say, the dependents told at the go, and
// the retrospective (a page of its own, to edit). Invited collaborators do not see this section:
// distributors' contacts are not theirs to know.

export interface DisclosureSectionProps {
  projectSlug: string;
  caseNumber: number;
  caseState: Case['state'];
  notices: DistributorNotice[];
  /** Distributors that accepted the current terms, have contacts and were not told of this case. */
  notToldYet: string[];
  distributorNoticeDone: boolean;
  announcements: Awaited<ReturnType<typeof caseAnnouncements>>;
  dependents: { at: string; packages: number; notifiers: { notifier: string; notified: number }[] } | null;
  dependentAlerts: Awaited<ReturnType<typeof loadCaseDependents>>;
  retrospective: Retrospective | null;
  csrfToken: string;
  canNotify: boolean;
}

const MESSAGE_WORDS: Record<string, string> = {
  notice: 'notice with the draft and patches',
  prerelease: '24-hour notice',
  revision: 'release moved',
  broken: 'embargo broken',
  released: 'released',
  cancelled: 'release postponed',
};

function NoticeTable({ notice }: { notice: DistributorNotice }) {
  return (
    <div class="distributor-notice" data-notice={notice.id} data-distributor={notice.distributorName}>
      <h4>
        {notice.distributorName}{' '}
        <span class="muted">
          notified <UtcTime at={notice.notifiedAt} />
        </span>{' '}
        {notice.acknowledgedAt ? (
          <span class="badge done">acknowledged {when(notice.acknowledgedAt)}</span>
        ) : (
          <span class="badge">not acknowledged</span>
        )}
      </h4>
      <p class="muted">
        Sent: the advisory draft "{notice.snapshot.advisory.summary}" for the release at{' '}
        <UtcTime at={notice.snapshot.releaseAt} />
        {notice.snapshot.patches.length
          ? `, with ${notice.snapshot.patches.length} patch${notice.snapshot.patches.length === 1 ? '' : 'es'}: `
          : ', with no patch.'}
        {notice.snapshot.patches.map((p, i) => (
          <span key={p.id}>
            {i > 0 ? ', ' : ''}
            <code>{p.filename}</code> ({p.branchName}, sha256 <code title={p.sha256}>{p.sha256.slice(0, 12)}</code>)
          </span>
        ))}
      </p>
      <table>
        <thead>
          <tr>
            <th>Recipient</th>
            <th>Mail</th>
            <th>Acknowledged</th>
          </tr>
        </thead>
        <tbody>
          {notice.recipients.map((r) => (
            <tr key={r.id} data-recipient={r.email}>
              <td>{r.email}</td>
              <td>
                {r.messages.map((m, i) => (
                  <span key={m.emailId} data-message={m.kind} data-email-status={m.emailStatus}>
                    {i > 0 ? <br /> : null}
                    {MESSAGE_WORDS[m.kind] ?? m.kind}: {m.emailStatus}
                    {m.encrypted ? ' (encrypted)' : ' (not encrypted)'} <span class="muted">{when(m.at)}</span>
                  </span>
                ))}
              </td>
              <td>{r.acknowledgedAt ? `${when(r.acknowledgedAt)} (${r.acknowledgedBy ?? ''})` : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The case page's Disclosure section. */
export function DisclosureSection(props: DisclosureSectionProps) {
  const base = `/p/${props.projectSlug}/cases/${props.caseNumber}`;
  const published = props.caseState === 'published' || props.announcements.some((a) => a.kind === 'release');
  return (
    <section id="disclosure" aria-labelledby="disclosure-heading">
      <h2 id="disclosure-heading">Disclosure</h2>
      <h3>Distributors</h3>
      {props.notices.length === 0 ? (
        <p class="muted">
          No distributor was told yet: the distributor notice goes out at the time on the embargo's timeline, to every
          distributor that accepted the project's terms.
        </p>
      ) : (
        props.notices.map((n) => <NoticeTable key={n.id} notice={n} />)
      )}
      {props.canNotify && props.distributorNoticeDone && props.caseState === 'scheduled' && props.notToldYet.length ? (
        <form method="post" action={`${base}/distributors/notify#disclosure`} class="triage-form" data-notify-rest="">
          <CsrfField token={props.csrfToken} />
          <button type="submit">Notify the distributors not told yet</button>{' '}
          <span class="hint">{props.notToldYet.join(', ')}: they joined or accepted the terms after the notice.</span>
        </form>
      ) : null}
      <h3>Announcements</h3>
      {props.announcements.length === 0 ? (
        <p class="muted">Nothing was announced yet.</p>
      ) : (
        <ul class="announcements">
          {props.announcements.map((a) => (
            <li key={a.id} data-announcement={a.kind}>
              <a href={`/p/${props.projectSlug}/announcements/${a.id}`}>{a.subject}</a>{' '}
              <span class="muted">
                {KIND_WORDS[a.kind]}, published <UtcTime at={a.publishedAt} />,{' '}
                {a.fannedOutAt ? `${a.copies} copies mailed` : `mailing (${a.copies} so far)`}
              </span>
            </li>
          ))}
        </ul>
      )}
      {!published ? (
        <p>
          Preview what will be announced:{' '}
          <a href={`${base}/announcements/preview/fix_forthcoming`}>the "fix forthcoming" notice</a> ·{' '}
          <a href={`${base}/announcements/preview/release`}>the release announcement</a>
        </p>
      ) : null}
      <h3>Dependents</h3>
      {props.dependents ? (
        <p data-dependents="">
          {props.dependents.notifiers.length === 0
            ? `At the release (${when(props.dependents.at)}) no dependency registry was configured, so no dependent project was told.`
            : props.dependents.notifiers.map((n) => `${n.notifier}: ${n.notified} told`).join('; ')}
        </p>
      ) : (
        <p class="muted">Projects that depend on the fixed packages are told at the release.</p>
      )}
      <CaseDependentsList alerts={props.dependentAlerts} />
      <h3>Retrospective</h3>
      {props.retrospective ? (
        <p>
          <a href={`${base}/retrospective`}>The retrospective</a>{' '}
          <span class="muted">drafted {when(props.retrospective.draftedAt)}</span>
        </p>
      ) : (
        <p class="muted">A blameless retrospective is drafted after the release, with the case's timeline filled in.</p>
      )}
    </section>
  );
}

/** What the Disclosure section needs, in the case page's transaction (which audits the read); null for a non-member. */
export async function loadDisclosureSection(
  db: DbOrTrx,
  input: { actor: Actor; theCase: Case },
): Promise<Omit<DisclosureSectionProps, 'projectSlug' | 'caseNumber' | 'csrfToken'> | null> {
  const { theCase } = input;
  if (!can(input.actor, 'project.view', { projectId: theCase.projectId })) return null;
  const notices = await caseNotices(db, theCase.id);
  const told = new Set(notices.map((n) => n.distributorId));
  const distributors = await listDistributors(db, theCase.projectId);
  const embargo = await findEmbargoRow(db, theCase.id);
  const dependentsEntry = (await historyOfCase(db, theCase.id)).find((h) => h.change === 'dependents.notified');
  const dependents = dependentsEntry?.value
    ? {
        at: dependentsEntry.at,
        ...(JSON.parse(dependentsEntry.value) as {
          packages: number;
          notifiers: { notifier: string; notified: number }[];
        }),
      }
    : null;
  return {
    caseState: theCase.state,
    notices,
    notToldYet: distributors
      .filter((d) => d.acceptedCurrentTerms && d.contacts.length > 0 && !told.has(d.id))
      .map((d) => d.name),
    distributorNoticeDone: embargo?.distributor_notice_done_at != null,
    announcements: await caseAnnouncements(db, theCase.id),
    dependents,
    dependentAlerts: await loadCaseDependents(db, { actor: input.actor, theCase }),
    retrospective: await getRetrospective(db, theCase.id),
    canNotify: can(input.actor, 'case.distributors.notify', { projectId: theCase.projectId }),
  };
}

function RetrospectivePage(props: {
  project: Project;
  theCase: Case;
  retrospective: Retrospective;
  body: string;
  csrf: string;
  canEdit: boolean;
  error?: DomainError;
  saved?: boolean;
}) {
  const back = `/p/${props.project.slug}/cases/${props.theCase.number}`;
  return (
    <article class="retrospective">
      <p class="muted">
        <a href={`${back}#disclosure`}>Case #{props.theCase.number}</a> · {props.project.name}
      </p>
      <h1>Retrospective</h1>
      <p class="muted">
        Drafted {when(props.retrospective.draftedAt)}, last changed {when(props.retrospective.updatedAt)}.
      </p>
      {props.saved ? (
        <p class="notice" role="status">
          Saved.
        </p>
      ) : null}
      <ErrorNotice error={props.error} />
      {/* Safe: renderMarkdown escapes raw HTML and vets link URLs. */}
      <div class="prose" dangerouslySetInnerHTML={{ __html: renderMarkdown(props.retrospective.body) }} />
      {props.canEdit ? (
        <form method="post" action={`${back}/retrospective`}>
          <CsrfField token={props.csrf} />
          <label for="retrospective-body">
            Edit <span class="hint">(Markdown)</span>
          </label>
          <textarea id="retrospective-body" name="body" rows={24}>
            {props.body}
          </textarea>
          <button type="submit">Save the retrospective</button>
        </form>
      ) : null}
    </article>
  );
}

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});
type P = { Params: { slug: string; number: string } };
type KindP = { Params: { slug: string; number: string; kind: string } };

/**
 * POST /p/:slug/cases/:number/distributors/notify (case.distributors.notify), GET
 * /p/:slug/cases/:number/announcements/preview/:kind and GET/POST /p/:slug/cases/:number/retrospective
 * (members: project.view to read, case.retrospective.edit to save).
 */
export function caseReleasePages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const tx = <T,>(fn: (trx: Trx) => Promise<T>): Promise<T> => deps.db.transaction().execute(fn);
    const caseBase = (project: Project, n: number) => `/p/${project.slug}/cases/${n}`;

    /** The project of the URL once the actor is one of its members (the section is theirs only). */
    async function memberProject(request: FastifyRequest<P>): Promise<Project> {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'project.view', { projectId: project.id });
      return project;
    }

    app.post<P>(
      '/p/:slug/cases/:number/distributors/notify',
      { schema: { params: Params }, preHandler: requireSignIn },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'case.distributors.notify', { projectId: project.id });
        const theCase = await requireCase(deps.db, project.id, Number(request.params.number));
        const back = `${caseBase(project, theCase.number)}#disclosure`;
        try {
          await tx(async (trx) => {
            await lockCase(trx, theCase.id);
            const row = await findCaseRow(trx, { projectId: project.id, id: theCase.id });
            const embargo = await findEmbargoRow(trx, theCase.id);
            if (!row || row.state !== 'scheduled' || !embargo?.distributor_notice_done_at) {
              throw new DomainError(
                'INVALID_TRANSITION',
                'Distributors are told by the timeline; this is for those who joined after the notice of a scheduled case.',
                { from: row?.state ?? 'unknown', action: 'notify_distributors' },
              );
            }
            await notifyDistributors(trx, deps, {
              actor: request.actor,
              origin: request.origin,
              theCase: toCase(row),
              releaseAt: embargo.release_at,
            });
          });
        } catch (err) {
          const { error, status } = formFailure(request, err);
          return replyChangeRefused(reply, {
            heading: 'No distributor was notified',
            error,
            status,
            back,
            caseNumber: theCase.number,
            projectName: project.name,
          });
        }
        deps.wakeWorker();
        return reply.redirect(back, 303);
      },
    );

    app.get<KindP>(
      '/p/:slug/cases/:number/announcements/preview/:kind',
      {
        schema: {
          params: Type.Object({
            ...Params.properties,
            kind: Type.Union(ANNOUNCEMENT_KINDS.map((k) => Type.Literal(k))),
          }),
        },
        preHandler: requireSignIn,
      },
      async (request, reply) => {
        const project = await memberProject(request);
        const kind = request.params.kind as AnnouncementKind;
        const { theCase, text } = await tx(async (trx) => {
          const view = await getCaseForTeam(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            projectId: project.id,
            number: Number(request.params.number),
          });
          return {
            theCase: view.case,
            text: await previewAnnouncement(trx, deps, { project, theCase: view.case, kind }),
          };
        });
        return reply.page(
          <article class="announcement-preview">
            <p class="muted">
              <a href={`${caseBase(project, theCase.number)}#disclosure`}>Case #{theCase.number}</a> · {project.name} ·
              preview, not sent
            </p>
            <h1>{KIND_WORDS[kind]}: preview</h1>
            <p class="hint">
              {kind === 'release'
                ? 'As the release announcement would read if the case were published now (the advisory id is given at the release).'
                : 'As it would read now. It may name only the date, the severity and the affected components.'}{' '}
              The wording is the project's template (settings: Announcements).
            </p>
            <h2 data-preview-subject="">{text.subject}</h2>
            {/* Safe: renderMarkdown escapes raw HTML and vets link URLs. */}
            <div class="prose" dangerouslySetInnerHTML={{ __html: renderMarkdown(text.body) }} />
          </article>,
          { title: `Preview · case #${theCase.number} · ${project.name}` },
        );
      },
    );

    async function showRetrospective(
      request: FastifyRequest<P>,
      reply: FastifyReply,
      project: Project,
      extra: { body?: string; error?: DomainError; status?: number; saved?: boolean } = {},
    ): Promise<FastifyReply> {
      const { theCase, retrospective } = await tx(async (trx) => {
        const view = await getCaseForTeam(trx, deps, {
          actor: request.actor,
          origin: request.origin,
          projectId: project.id,
          number: Number(request.params.number),
        });
        return { theCase: view.case, retrospective: await getRetrospective(trx, view.case.id) };
      });
      if (!retrospective) throw new DomainError('NOT_FOUND', 'The retrospective is drafted after the release.');
      return reply.page(
        <RetrospectivePage
          project={project}
          theCase={theCase}
          retrospective={retrospective}
          body={extra.body ?? retrospective.body}
          csrf={request.csrfToken()}
          canEdit={can(request.actor, 'case.retrospective.edit', { projectId: project.id })}
          {...(extra.error ? { error: extra.error } : {})}
          {...(extra.saved ? { saved: true } : {})}
        />,
        {
          title: `Retrospective · case #${theCase.number} · ${project.name}`,
          ...(extra.status ? { status: extra.status } : {}),
        },
      );
    }

    app.get<P>(
      '/p/:slug/cases/:number/retrospective',
      { schema: { params: Params }, preHandler: requireSignIn },
      async (request, reply) =>
        showRetrospective(request, reply, await memberProject(request), {
          saved: field(request.query, 'saved') === '1',
        }),
    );

    app.post<P>(
      '/p/:slug/cases/:number/retrospective',
      { schema: { params: Params }, preHandler: requireSignIn },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'case.retrospective.edit', { projectId: project.id });
        const theCase = await requireCase(deps.db, project.id, Number(request.params.number));
        const body = field(request.body, 'body');
        try {
          await tx((trx) =>
            saveRetrospective(trx, deps, { actor: request.actor, origin: request.origin, theCase, body }),
          );
        } catch (err) {
          const { error, status } = formFailure(request, err);
          return showRetrospective(request, reply, project, { body, error, status });
        }
        return reply.redirect(`${caseBase(project, theCase.number)}/retrospective?saved=1`, 303);
      },
    );
  };
}
