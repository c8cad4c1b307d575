import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import type { Case } from '../../domain/cases/cases.js';
import { getCaseForTeam, requireCase } from '../../domain/cases/cases.service.js';
import { addTeamMember, caseTeam, removeTeamMember, setFixLead } from '../../domain/cases/fix-team.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { authorize } from '../../policies/policy.js';
import { requireJson } from './api-input.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';
import { caseSubject } from '../../domain/cases/collaborators.service.js';
import { auditCaseRead } from '../../domain/cases/cases.service.js';

// A case's Fix Lead and Fix Team over JSON: the same services as the case page's Fix Team section.

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});
const MemberParams = Type.Object({ ...Params.properties, userId: Type.String({ minLength: 1, maxLength: 64 }) });

const Person = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Type.String(),
  away: Type.Boolean({ description: 'Marked away: skipped by the round-robin.' }),
});
const Team = Type.Object({
  lead: Type.Union([Person, Type.Null()]),
  members: Type.Array(Person, { description: 'Everyone on the Fix Team, the lead included.' }),
  proposed: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()], {
    description: 'While the case has no lead: who the round-robin proposes.',
  }),
});
const Changed = Type.Object({ changed: Type.Boolean(), team: Team });

const tags = ['cases'];

export function caseTeamApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);
    const tx = deps.db.transaction();

    type R = Pick<FastifyRequest, 'actor' | 'origin'> & { params: { slug: string; number: string } };
    const by = (request: R) => ({ actor: request.actor, origin: request.origin });
    /** The project and case once the actor may change the team (case.team.manage). */
    const manageable = async (request: R): Promise<{ project: Project; theCase: Case }> => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'case.team.manage', { projectId: project.id });
      return { project, theCase: await requireCase(deps.db, project.id, Number(request.params.number)) };
    };

    app.get(
      '/api/v1/projects/:slug/cases/:number/team',
      {
        schema: {
          summary: "A case's Fix Lead and Fix Team, and the round-robin proposal while it has no lead",
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: Team, ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(
          request.actor,
          'case.read',
          await caseSubject(deps.db, { projectId: project.id, number: Number(request.params.number) }),
        );
        // An audited read, like every read of a case under embargo.
        return tx.execute(async (trx) => {
          const view = await getCaseForTeam(trx, deps, {
            ...by(request),
            projectId: project.id,
            number: Number(request.params.number),
          });
          return caseTeam(trx, view.case.id);
        });
      },
    );

    app.put(
      '/api/v1/projects/:slug/cases/:number/team/lead',
      {
        schema: {
          summary: 'Set the Fix Lead: a member, or "proposed" for the round-robin proposal',
          description:
            'The lead becomes the case owner (reminders go to them) and joins the team. The first lead of a ' +
            'case in triage forms the Fix Team: the case moves to fix_in_progress and the reporter is told. ' +
            'Someone who is not an enabled member of the project is refused with 400 VALIDATION_FAILED ' +
            '(field userId).',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Type.Object(
            {
              userId: Type.String({ minLength: 1, maxLength: 64, description: 'A user id, or "proposed".' }),
              reason: Type.Optional(Type.String({ maxLength: 2000, description: 'Kept in the case history.' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Team, ...errors(400, 401, 403, 404, 415) },
        },
      },
      async (request) => {
        const { theCase } = await manageable(request);
        const team = await tx.execute((trx) =>
          setFixLead(trx, deps, {
            ...by(request),
            theCase,
            userId: request.body.userId,
            reason: request.body.reason ?? null,
          }),
        );
        deps.wakeWorker();
        return team;
      },
    );

    app.post(
      '/api/v1/projects/:slug/cases/:number/team/members',
      {
        schema: {
          summary: 'Add a project member to the Fix Team',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Type.Object({ userId: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
          response: { 200: Changed, ...errors(400, 401, 403, 404, 415) },
        },
      },
      async (request) => {
        const { theCase } = await manageable(request);
        const result = await tx.execute(async (trx) => {
          const changed = await addTeamMember(trx, deps, { ...by(request), theCase, userId: request.body.userId });
          if (!changed) await auditCaseRead(trx, deps, request, theCase);
          return { changed, team: await caseTeam(trx, theCase.id) };
        });
        deps.wakeWorker();
        return result;
      },
    );

    app.delete(
      '/api/v1/projects/:slug/cases/:number/team/members/:userId',
      {
        schema: {
          summary: 'Remove someone from the Fix Team (the lead stays until another lead is set)',
          tags,
          security: apiTokenRequired,
          params: MemberParams,
          response: { 200: Changed, ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { theCase } = await manageable(request);
        const result = await tx.execute(async (trx) => {
          const changed = await removeTeamMember(trx, deps, {
            ...by(request),
            theCase,
            userId: request.params.userId,
          });
          if (!changed) await auditCaseRead(trx, deps, request, theCase);
          return { changed, team: await caseTeam(trx, theCase.id) };
        });
        deps.wakeWorker();
        return result;
      },
    );
  };
}
