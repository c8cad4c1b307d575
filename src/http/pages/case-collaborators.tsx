import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Case } from '../../domain/cases/cases.js';
import { requireCase } from '../../domain/cases/cases.service.js';
import {
  caseSubject,
  type Collaborator,
  inviteCollaborator,
  revokeCollaborator,
  type SharedCase,
} from '../../domain/cases/collaborators.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import type { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { RemoveButton } from '../views/remove-button.js';
import { when } from '../views/time.js';
import { ErrorNotice, field, formFailure, invalidIf } from './forms.js';
import { requireSignIn } from './require-user.js';

// External collaborators of a case: the section the case page shows, its two forms' routes, and
// the list of shared cases for a collaborator's projects page.

const ANCHOR = 'collaborators';
const caseUrl = (slug: string, number: number) => `/p/${slug}/cases/${number}`;

function InviteForm(props: {
  action: string;
  csrfToken: string;
  values?: { email: string; name: string };
  error?: DomainError;
}) {
  const { error, values } = props;
  return (
    <form method="post" action={props.action} class="invite-collaborator">
      <CsrfField token={props.csrfToken} />
      <label for="collaborator-email">Email address</label>
      <input
        id="collaborator-email"
        type="email"
        name="email"
        maxLength={254}
        required
        value={values?.email ?? ''}
        aria-invalid={invalidIf(error, 'email')}
      />
      <label for="collaborator-name">Name (for a new account)</label>
      <input
        id="collaborator-name"
        type="text"
        name="name"
        maxLength={200}
        value={values?.name ?? ''}
        aria-invalid={invalidIf(error, 'name')}
      />
      <button type="submit">Invite to this case</button>
    </form>
  );
}

/**
 * The case's collaborators with a Revoke button each, and the invitation form. Without `canEdit`
 * (someone who may read the case but not manage it) only the names of the current ones are shown.
 */
export function CollaboratorsSection(props: {
  projectSlug: string;
  caseNumber: number;
  collaborators: Collaborator[];
  csrfToken: string;
  canEdit: boolean;
}) {
  const base = `${caseUrl(props.projectSlug, props.caseNumber)}/collaborators`;
  const live = props.collaborators.filter((c) => c.revokedAt === null);
  const revoked = props.collaborators.length - live.length;
  return (
    <section id={ANCHOR} aria-labelledby="collaborators-heading">
      <h2 id="collaborators-heading">External collaborators</h2>
      <p class="muted">
        People outside the project's security team, invited to this case only. They see this case and nothing else of
        the project.
      </p>
      {live.length === 0 ? (
        <p class="muted">Nobody outside the team is invited.</p>
      ) : (
        <ul class="collaborators">
          {live.map((c) => (
            <li key={c.id} data-collaborator={props.canEdit ? c.email : c.name}>
              {c.name}
              {props.canEdit ? (
                <>
                  {' '}
                  &lt;{c.email}&gt; <span class="muted">invited {when(c.invitedAt)}</span>{' '}
                  <RemoveButton action={`${base}/${c.id}/revoke`} csrf={props.csrfToken} label="Revoke" />
                </>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {props.canEdit && revoked > 0 ? (
        <p class="muted">
          {revoked === 1 ? 'One earlier invitation was' : `${revoked} earlier invitations were`} revoked (see the
          history).
        </p>
      ) : null}
      {props.canEdit ? (
        <>
          <h3>Invite someone</h3>
          <p class="muted">
            Someone without an account gets one and an email to choose a password; the email does not name the case.
          </p>
          <InviteForm action={base} csrfToken={props.csrfToken} />
        </>
      ) : null}
    </section>
  );
}

/** For a collaborator's projects page: the cases shared with them, by project and number. */
export function SharedCasesList({ cases }: { cases: SharedCase[] }) {
  if (cases.length === 0) return null;
  return (
    <section aria-labelledby="shared-cases-heading">
      <h2 id="shared-cases-heading">Cases shared with you</h2>
      <ul class="shared-cases">
        {cases.map((c) => (
          <li key={c.caseId}>
            <a href={caseUrl(c.projectSlug, c.number)}>
              {c.projectName}: case #{c.number}
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});
const GrantParams = Type.Object({ ...Params.properties, id: Type.String({ minLength: 1, maxLength: 64 }) });
type P = { Params: { slug: string; number: string } };
type GrantP = { Params: { slug: string; number: string; id: string } };

/** Invite and revoke; both come back to the case page, or show what went wrong with a way back. */
export function caseCollaboratorPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    const tx = <T,>(fn: (trx: Trx) => Promise<T>): Promise<T> => deps.db.transaction().execute(fn);

    /** The project and case of the URL, once the actor may manage the case's collaborators. */
    async function managed(request: FastifyRequest<P>): Promise<{ project: Project; theCase: Case }> {
      const project = await requireProject(deps.db, request.params.slug);
      const number = Number(request.params.number);
      authorize(
        request.actor,
        'case.collaborators.manage',
        await caseSubject(deps.db, { projectId: project.id, number }),
      );
      return { project, theCase: await requireCase(deps.db, project.id, number) };
    }

    /** A refusal the user can act on, with the form again (invitations) and the way back to the case. */
    function failure(
      request: FastifyRequest,
      reply: FastifyReply,
      err: unknown,
      target: { project: Project; theCase: Case },
      values?: { email: string; name: string },
    ): FastifyReply {
      const { error, status } = formFailure(request, err);
      if (error.code === 'NOT_FOUND') throw error;
      const back = `${caseUrl(target.project.slug, target.theCase.number)}#${ANCHOR}`;
      return reply.page(
        <section>
          <h1>Case #{target.theCase.number}: collaborators</h1>
          <ErrorNotice error={error} />
          {values ? (
            <InviteForm
              action={`${caseUrl(target.project.slug, target.theCase.number)}/collaborators`}
              csrfToken={request.csrfToken()}
              values={values}
              error={error}
            />
          ) : null}
          <p>
            <a href={back}>Back to the case</a>
          </p>
        </section>,
        { title: `Case #${target.theCase.number} · ${target.project.name}`, status },
      );
    }

    app.post<P>(
      '/p/:slug/cases/:number/collaborators',
      { schema: { params: Params }, preHandler: requireSignIn },
      async (request, reply) => {
        const target = await managed(request);
        const values = { email: field(request.body, 'email'), name: field(request.body, 'name') };
        try {
          await tx((trx) =>
            inviteCollaborator(trx, deps, {
              actor: request.actor,
              origin: request.origin,
              theCase: target.theCase,
              email: values.email,
              ...(values.name.trim() ? { name: values.name } : {}),
            }),
          );
        } catch (err) {
          return failure(request, reply, err, target, values);
        }
        deps.wakeWorker();
        return reply.redirect(`${caseUrl(target.project.slug, target.theCase.number)}#${ANCHOR}`, 303);
      },
    );

    app.post<GrantP>(
      '/p/:slug/cases/:number/collaborators/:id/revoke',
      { schema: { params: GrantParams }, preHandler: requireSignIn },
      async (request, reply) => {
        const target = await managed(request);
        try {
          await tx((trx) =>
            revokeCollaborator(trx, deps, {
              actor: request.actor,
              origin: request.origin,
              theCase: target.theCase,
              collaboratorId: request.params.id,
            }),
          );
        } catch (err) {
          return failure(request, reply, err, target);
        }
        deps.wakeWorker();
        return reply.redirect(`${caseUrl(target.project.slug, target.theCase.number)}#${ANCHOR}`, 303);
      },
    );
  };
}
