import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Case, CaseState } from '../../domain/cases/cases.js';
import { requireCase } from '../../domain/cases/cases.service.js';
import type { EmbargoPolicy } from '../../domain/cases/embargo-policy.js';
import { formatUtc } from '../../domain/cases/embargo-timeline.js';
import {
  activateEmbargo,
  cancelRelease,
  type Embargo,
  getEmbargo,
  releaseNow,
  type TimelineDone,
  getEmbargoPolicy,
  proposeEmbargo,
  proposedTimeline,
  reviseEmbargo,
  type TimelineView,
} from '../../domain/cases/embargo.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import type { Actor } from '../../policies/actor.js';
import { authorize, can } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { field, formFailure } from './forms.js';
import { requireSignIn } from './require-user.js';
import { replyChangeRefused } from '../views/change-refused.js';

// A case's embargo: its planned release and timeline, revisions, and the forms to propose, put in
// force and revise it. The section is placed on the case page (pages/cases.tsx); its forms post here
// and come back to #embargo. Times are written in UTC; local-time.js adds the viewer's own.

/** A UTC instant as the pages write it, marked for local-time.js. */
export function UtcTime({ at }: { at: string | null }) {
  if (!at) return <span class="muted">not planned</span>;
  return (
    <time dateTime={at} data-local-time="">
      {formatUtc(new Date(at))}
    </time>
  );
}

/** The steps of a timeline, in order, with their words and (for an embargo) when each was done. */
export function timelineSteps(
  t: TimelineView,
  done?: TimelineDone,
): { key: string; label: string; at: string | null; doneAt: string | null }[] {
  return [
    {
      key: 'distributor-notice',
      label: 'Distributor notice',
      at: t.distributorNoticeAt,
      doneAt: done?.distributorNotice ?? null,
    },
    {
      key: 'public-notice',
      label: '"Fix forthcoming" public notice (date, severity, components; no details)',
      at: t.publicNoticeAt,
      doneAt: done?.publicNotice ?? null,
    },
    {
      key: 'prerelease-notice',
      label: 'Pre-release notice to distributors',
      at: t.prereleaseNoticeAt,
      doneAt: done?.prereleaseNotice ?? null,
    },
    { key: 'release', label: 'Release', at: t.releaseAt, doneAt: done?.release ?? null },
    { key: 'retrospective', label: 'Retrospective', at: t.retrospectiveAt, doneAt: done?.retrospective ?? null },
  ];
}

function Timeline({ timeline, done }: { timeline: TimelineView; done?: TimelineDone }) {
  return (
    <ol class="embargo-timeline">
      {timelineSteps(timeline, done).map((step) => (
        <li key={step.key} data-step={step.key} data-done={step.doneAt ? 'yes' : 'no'}>
          {step.label}: <UtcTime at={step.at} />
          {step.doneAt ? (
            <>
              {' '}
              <span class="badge done">
                done <UtcTime at={step.doneAt} />
              </span>
            </>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

const STATE_WORDS: Record<Embargo['state'], string> = {
  proposed: 'proposed (not in force yet)',
  active: 'active',
  revised: 'active, revised',
  lifted: 'lifted (released)',
  broken: 'broken',
};

/** A datetime-local value in UTC: '2026-03-12T16:00'. */
const localValue = (at: string) => at.slice(0, 16);

export interface CaseEmbargoSectionProps {
  projectSlug: string;
  caseNumber: number;
  caseState: CaseState;
  embargo: Embargo | null;
  /** The proposed slot and timeline, while the case has no embargo and may get one. */
  proposal: TimelineView | null;
  policy: EmbargoPolicy;
  csrfToken: string;
  canEdit: boolean;
  /** When the case's embargo broke, or null. */
  embargoBrokenAt: string | null;
  /** case.release: cancel the go, release now after a break. */
  canRelease: boolean;
  /** The time the page is drawn at (the injected clock), to tell a release time that passed. */
  now: string;
}

function ReleaseField({ id, value }: { id: string; value: string }) {
  return (
    <>
      <label for={id}>
        Release time (UTC) <span class="hint">YYYY-MM-DD HH:MM</span>
      </label>
      <input id={id} name="releaseAt" type="datetime-local" value={localValue(value)} required />
    </>
  );
}

/** The Embargo section of the case page; every form works without JavaScript. */
export function CaseEmbargoSection(props: CaseEmbargoSectionProps) {
  const { embargo, proposal, policy, csrfToken, canEdit } = props;
  const action = `/p/${props.projectSlug}/cases/${props.caseNumber}/embargo`;
  const open = embargo && ['proposed', 'active', 'revised'].includes(embargo.state);
  return (
    <section id="embargo" aria-labelledby="embargo-heading">
      <h2 id="embargo-heading">Embargo</h2>
      <p class="hint">
        Releases go out at {String(policy.releaseHourUtc).padStart(2, '0')}:00 UTC on{' '}
        {policy.releaseWeekdays.join(', ')}; the embargo lasts at most {policy.maxDays} days after the distributor
        notice.
      </p>
      {embargo ? (
        <>
          <p>
            State: <strong data-embargo-state={embargo.state}>{STATE_WORDS[embargo.state]}</strong>
          </p>
          <Timeline timeline={embargo} done={embargo.done} />
          {props.caseState !== 'scheduled' && open && embargo.releaseAt <= props.now && !embargo.done.release ? (
            <p class="notice error" data-release-passed="">
              The planned release time has passed while the case was not scheduled: revise it to a new time.
            </p>
          ) : null}
        </>
      ) : proposal ? (
        <>
          <p class="muted">No embargo yet. Proposed for this case:</p>
          <Timeline timeline={proposal} />
        </>
      ) : (
        <p class="muted">No embargo: one is planned once the fix is in progress or ready.</p>
      )}
      {canEdit && !embargo && proposal ? (
        <form method="post" action={`${action}/propose`}>
          <CsrfField token={csrfToken} />
          <ReleaseField id="embargo-propose-at" value={proposal.releaseAt} />
          <button type="submit">Propose the embargo</button>
        </form>
      ) : null}
      {canEdit && open && props.caseState === 'fix_ready' ? (
        <form method="post" action={`${action}/activate`}>
          <CsrfField token={csrfToken} />
          <button type="submit">Put the embargo in force and schedule the release</button>{' '}
          <span class="hint">The reporter is told the release time.</span>
        </form>
      ) : null}
      {canEdit && open ? (
        <form method="post" action={`${action}/revise`}>
          <CsrfField token={csrfToken} />
          <ReleaseField id="embargo-revise-at" value={embargo.releaseAt} />
          <label for="embargo-revise-reason">Why the release moves</label>
          <input id="embargo-revise-reason" name="reason" maxLength={2000} required />
          <button type="submit">Revise the release</button>
        </form>
      ) : null}
      {props.canRelease && props.caseState === 'scheduled' && !props.embargoBrokenAt ? (
        <form method="post" action={`${action}/cancel`} class="triage-form" data-cancel-go="">
          <CsrfField token={csrfToken} />
          <label for="embargo-cancel-reason">
            Why the release is called off <span class="hint">(told to the distributors already notified)</span>
          </label>
          <input id="embargo-cancel-reason" name="reason" maxLength={2000} required />
          <button type="submit" class="danger">
            Cancel the go
          </button>{' '}
          <span class="hint">Until it starts: the case goes back to "fix ready" and the embargo is held.</span>
        </form>
      ) : null}
      {props.canRelease && props.embargoBrokenAt && ['fix_ready', 'scheduled'].includes(props.caseState) ? (
        <form method="post" action={`${action}/release-now`} class="triage-form" data-release-now="">
          <CsrfField token={csrfToken} />
          <p>
            <strong class="overdue">The embargo is broken.</strong> Release the fix now: the advisory, the announcements
            and the distributors' notices go out at once.
          </p>
          <button type="submit" class="danger">
            Release now
          </button>
        </form>
      ) : null}
      {embargo && embargo.revisions.length > 0 ? (
        <>
          <h3>Revisions</h3>
          <ul class="embargo-revisions">
            {embargo.revisions.map((r) => (
              <li key={r.at + r.releaseAt} data-revision="">
                <UtcTime at={r.at} /> {r.actorLabel}:{' '}
                {r.previousReleaseAt ? (
                  <>
                    release moved from <UtcTime at={r.previousReleaseAt} /> to <UtcTime at={r.releaseAt} />
                  </>
                ) : (
                  <>
                    release planned for <UtcTime at={r.releaseAt} />
                  </>
                )}
                {r.reason ? <> ({r.reason})</> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/**
 * What the section needs besides the slug, number and CSRF token, in the case page's transaction
 * (the page audits its own read). `canEdit` follows case.embargo.manage.
 */
export async function loadCaseEmbargoSection(
  db: DbOrTrx,
  deps: Pick<Deps, 'clock'>,
  input: { actor: Actor; theCase: Case },
): Promise<
  Pick<
    CaseEmbargoSectionProps,
    'caseState' | 'embargo' | 'proposal' | 'policy' | 'canEdit' | 'embargoBrokenAt' | 'canRelease' | 'now'
  >
> {
  const { theCase } = input;
  const embargo = await getEmbargo(db, theCase.id);
  const plannable = ['fix_in_progress', 'fix_ready'].includes(theCase.state) && !theCase.embargoBrokenAt;
  return {
    caseState: theCase.state,
    embargo,
    proposal: !embargo && plannable ? await proposedTimeline(db, deps, theCase) : null,
    policy: await getEmbargoPolicy(db, theCase.projectId),
    canEdit: can(input.actor, 'case.embargo.manage', { projectId: theCase.projectId, caseId: theCase.id }),
    embargoBrokenAt: theCase.embargoBrokenAt,
    canRelease: can(input.actor, 'case.release', { projectId: theCase.projectId, caseId: theCase.id }),
    now: deps.clock.now().toISOString(),
  };
}

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});
type P = { Params: { slug: string; number: string } };

/**
 * POST /p/:slug/cases/:number/embargo/{propose,activate,revise} (case.embargo.manage) and
 * /embargo/{cancel,release-now} (case.release).
 */
export function caseEmbargoPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const tx = <T,>(fn: (trx: Trx) => Promise<T>): Promise<T> => deps.db.transaction().execute(fn);

    async function target(
      request: FastifyRequest<P>,
      action: 'case.embargo.manage' | 'case.release',
    ): Promise<{ project: Project; theCase: Case }> {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, action, { projectId: project.id });
      return { project, theCase: await requireCase(deps.db, project.id, Number(request.params.number)) };
    }

    /** Runs the change; success goes back to #embargo, a refusal is a small page saying why, with a way back. */
    function route(
      path: string,
      change: (trx: Trx, t: { theCase: Case; request: FastifyRequest<P> }) => Promise<unknown>,
      action: 'case.embargo.manage' | 'case.release' = 'case.embargo.manage',
    ) {
      app.post<P>(
        `/p/:slug/cases/:number/embargo/${path}`,
        { schema: { params: Params }, preHandler: requireSignIn },
        async (request, reply: FastifyReply) => {
          const { project, theCase } = await target(request, action);
          const back = `/p/${project.slug}/cases/${theCase.number}#embargo`;
          try {
            await tx((trx) => change(trx, { theCase, request }));
          } catch (err) {
            const { error, status } = formFailure(request, err);
            const heading = 'The embargo was not changed';
            const { number: caseNumber } = theCase;
            return replyChangeRefused(reply, { heading, error, status, back, caseNumber, projectName: project.name });
          }
          deps.wakeWorker();
          return reply.redirect(back, 303);
        },
      );
    }

    const by = (request: FastifyRequest<P>) => ({ actor: request.actor, origin: request.origin });
    route('propose', (trx, { theCase, request }) =>
      proposeEmbargo(trx, deps, { ...by(request), theCase, releaseAt: field(request.body, 'releaseAt') }),
    );
    route('activate', (trx, { theCase, request }) => activateEmbargo(trx, deps, { ...by(request), theCase }));
    route('revise', (trx, { theCase, request }) =>
      reviseEmbargo(trx, deps, {
        ...by(request),
        theCase,
        releaseAt: field(request.body, 'releaseAt'),
        reason: field(request.body, 'reason'),
      }),
    );
    route(
      'cancel',
      (trx, { theCase, request }) =>
        cancelRelease(trx, deps, { ...by(request), theCase, reason: field(request.body, 'reason') }),
      'case.release',
    );
    route(
      'release-now',
      (trx, { theCase, request }) => releaseNow(trx, deps, { ...by(request), theCase }),
      'case.release',
    );
  };
}
