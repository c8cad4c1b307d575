import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Case } from '../../domain/cases/cases.js';
import { requireCase } from '../../domain/cases/cases.service.js';
import {
  addTeamMember,
  type CaseTeam,
  caseTeam,
  removeTeamMember,
  setFixLead,
} from '../../domain/cases/fix-team.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { listMembers, requireProject } from '../../domain/projects/projects.service.js';
import type { Actor } from '../../policies/actor.js';
import { authorize, can } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { field, formFailure } from './forms.js';
import { requireSignIn } from './require-user.js';
import { replyChangeRefused } from '../views/change-refused.js';

// A case's Fix Team: its Fix Lead (proposed by round-robin, overridable) and members. The section is
// placed on the case page (pages/cases.tsx); its forms post here and come back to #team.

export interface TeamMemberOption {
  id: string;
  name: string;
  email: string;
  away?: boolean;
}

export interface CaseTeamSectionProps {
  projectSlug: string;
  caseNumber: number;
  team: CaseTeam;
  /** The project's enabled members, for the selects. */
  members: TeamMemberOption[];
  csrfToken: string;
  canEdit: boolean;
}

const label = (m: TeamMemberOption) => `${m.name} <${m.email}>${m.away ? ' (away)' : ''}`;

function MemberSelect({ id, options, selected }: { id: string; options: TeamMemberOption[]; selected?: string }) {
  return (
    <select id={id} name="userId" required>
      {options.map((m) => (
        <option key={m.id} value={m.id} selected={m.id === selected}>
          {label(m)}
        </option>
      ))}
    </select>
  );
}

function LeadForms({ props, action }: { props: CaseTeamSectionProps; action: string }) {
  const { team, members, csrfToken } = props;
  const others = members.filter((m) => m.id !== team.lead?.id);
  return (
    <>
      {!team.lead && team.proposed ? (
        <form method="post" action={`${action}/lead`} class="inline" data-propose>
          <CsrfField token={csrfToken} />
          <input type="hidden" name="userId" value="proposed" />
          <button type="submit">Propose by round-robin: {team.proposed.name}</button>{' '}
          <span class="hint">
            makes them Fix Lead: the member who led a case here least recently, skipping those marked away.
          </span>
        </form>
      ) : null}
      {!team.lead && !team.proposed ? (
        <p class="muted">Round-robin has nobody to propose: every member is away or disabled.</p>
      ) : null}
      {others.length > 0 ? (
        <form method="post" action={`${action}/lead`}>
          <CsrfField token={csrfToken} />
          <label for="team-lead">{team.lead ? 'Change the Fix Lead' : 'Or choose the Fix Lead'}</label>
          <MemberSelect id="team-lead" options={others} selected={team.lead ? undefined : team.proposed?.id} />
          <label for="team-lead-reason">
            Why <span class="hint">(optional, kept in the case history)</span>
          </label>
          <input id="team-lead-reason" name="reason" maxLength={2000} />
          <button type="submit">Set Fix Lead</button>
        </form>
      ) : null}
    </>
  );
}

/** The Fix Team section of the case page; every form works without JavaScript. */
export function CaseTeamSection(props: CaseTeamSectionProps) {
  const { team, members, csrfToken, canEdit } = props;
  const action = `/p/${props.projectSlug}/cases/${props.caseNumber}/team`;
  const onTeam = new Set(team.members.map((m) => m.id));
  const addable = members.filter((m) => !onTeam.has(m.id));
  return (
    <section id="team" aria-labelledby="team-heading">
      <h2 id="team-heading">Fix Team</h2>
      <p>
        Fix Lead:{' '}
        {team.lead ? (
          <strong data-lead={team.lead.id}>{label(team.lead)}</strong>
        ) : (
          <span class="muted">nobody yet: the Fix Team forms when a lead is set.</span>
        )}
      </p>
      {team.members.length === 0 ? (
        <p class="muted">Nobody is on the Fix Team yet.</p>
      ) : (
        <ul class="team">
          {team.members.map((m) => (
            <li key={m.id} data-member={m.id}>
              {label(m)}
              {m.id === team.lead?.id ? ' · Fix Lead' : null}
              {canEdit && m.id !== team.lead?.id ? (
                <form method="post" action={`${action}/members/remove`} class="inline">
                  <CsrfField token={csrfToken} />
                  <input type="hidden" name="userId" value={m.id} />{' '}
                  <button type="submit" class="secondary danger">
                    Remove
                  </button>
                </form>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {canEdit ? (
        <>
          <LeadForms props={props} action={action} />
          {addable.length > 0 ? (
            <form method="post" action={`${action}/members/add`}>
              <CsrfField token={csrfToken} />
              <label for="team-add">Add a member to the Fix Team</label>
              <MemberSelect id="team-add" options={addable} />
              <button type="submit">Add to the team</button>
            </form>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

/**
 * What the section needs besides the CSRF token, in the case page's transaction (the team's names
 * are not embargoed content; the page's own read is audited). `canEdit` follows case.team.manage.
 */
export async function loadCaseTeamSection(
  db: DbOrTrx,
  input: { actor: Actor; projectId: string; caseId: string },
): Promise<Pick<CaseTeamSectionProps, 'team' | 'members' | 'canEdit'>> {
  const team = await caseTeam(db, input.caseId);
  const members = (await listMembers(db, input.projectId, { activeOnly: true })).map((m) => ({
    id: m.userId,
    name: m.name,
    email: m.email,
    away: m.away,
  }));
  const canEdit = can(input.actor, 'case.team.manage', { projectId: input.projectId, caseId: input.caseId });
  return { team, members, canEdit };
}

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});
type P = { Params: { slug: string; number: string } };

/** POST /p/:slug/cases/:number/team/{lead,members/add,members/remove} (case.team.manage). */
export function caseTeamPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const tx = <T,>(fn: (trx: Trx) => Promise<T>): Promise<T> => deps.db.transaction().execute(fn);
    const caseUrl = (project: Project, c: { number: number }) => `/p/${project.slug}/cases/${c.number}`;

    async function target(request: FastifyRequest<P>): Promise<{ project: Project; theCase: Case }> {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'case.team.manage', { projectId: project.id });
      return { project, theCase: await requireCase(deps.db, project.id, Number(request.params.number)) };
    }

    /** Runs the change; success goes back to #team, a refusal is a small page saying why, with a way back. */
    function route(
      path: string,
      change: (trx: Trx, t: { theCase: Case; request: FastifyRequest<P> }) => Promise<unknown>,
    ) {
      app.post<P>(
        `/p/:slug/cases/:number/team/${path}`,
        { schema: { params: Params }, preHandler: requireSignIn },
        async (request, reply: FastifyReply) => {
          const { project, theCase } = await target(request);
          const back = `${caseUrl(project, theCase)}#team`;
          try {
            await tx((trx) => change(trx, { theCase, request }));
          } catch (err) {
            const { error, status } = formFailure(request, err);
            const heading = 'The Fix Team was not changed';
            const { number: caseNumber } = theCase;
            return replyChangeRefused(reply, { heading, error, status, back, caseNumber, projectName: project.name });
          }
          deps.wakeWorker();
          return reply.redirect(back, 303);
        },
      );
    }

    const by = (request: FastifyRequest<P>) => ({ actor: request.actor, origin: request.origin });
    route('lead', (trx, { theCase, request }) =>
      setFixLead(trx, deps, {
        ...by(request),
        theCase,
        userId: field(request.body, 'userId'),
        reason: field(request.body, 'reason'),
      }),
    );
    route('members/add', (trx, { theCase, request }) =>
      addTeamMember(trx, deps, { ...by(request), theCase, userId: field(request.body, 'userId') }),
    );
    route('members/remove', (trx, { theCase, request }) =>
      removeTeamMember(trx, deps, { ...by(request), theCase, userId: field(request.body, 'userId') }),
    );
  };
}
