import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import type { Case } from '../../domain/cases/cases.js';
import { requireCase } from '../../domain/cases/cases.service.js';
import {
  caseSubject,
  inviteCollaborator,
  listCollaborators,
  revokeCollaborator,
} from '../../domain/cases/collaborators.service.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { authorize } from '../../policies/policy.js';
import { requireJson } from './api-input.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';

// A case's external collaborators over JSON: the same services as the case page's section. Only the
// project's members manage them ('case.collaborators.manage'); collaborators do not list each other.

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});
const GrantParams = Type.Object({ ...Params.properties, id: Type.String({ minLength: 1, maxLength: 64 }) });

const Collaborator = Type.Object({
  id: Type.String({ description: 'The grant; revoking it ends the access.' }),
  userId: Type.String(),
  name: Type.String(),
  email: Type.String(),
  invitedAt: Type.String({ format: 'date-time' }),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
const Invitation = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 254 }),
    name: Type.Optional(
      Type.String({ maxLength: 200, description: 'For a new account; defaults to the address before the @.' }),
    ),
  },
  { additionalProperties: false },
);

const tags = ['cases'];

export function caseCollaboratorsApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);

    type R = Pick<FastifyRequest, 'actor'> & { params: { slug: string; number: string } };
    /** The case of the URL, once the actor may manage its collaborators. */
    const managed = async (request: R): Promise<Case> => {
      const project = await requireProject(deps.db, request.params.slug);
      const number = Number(request.params.number);
      authorize(
        request.actor,
        'case.collaborators.manage',
        await caseSubject(deps.db, { projectId: project.id, number }),
      );
      return requireCase(deps.db, project.id, number);
    };

    app.get(
      '/api/v1/projects/:slug/cases/:number/collaborators',
      {
        schema: {
          summary: "A case's external collaborators, current ones first, revoked ones after",
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: Type.Object({ collaborators: Type.Array(Collaborator) }), ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const theCase = await managed(request);
        return { collaborators: await listCollaborators(deps.db, theCase.id) };
      },
    );

    app.post(
      '/api/v1/projects/:slug/cases/:number/collaborators',
      {
        schema: {
          summary: 'Invite someone outside the project to this case only',
          description:
            'An existing account is given access (not a disabled one, and not a member of the project: 400 ' +
            'VALIDATION_FAILED); an unknown address gets a new account and an email with a link to choose a ' +
            'password, which does not name the case. Inviting someone who has access already is 409 CONFLICT.',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Invitation,
          response: {
            201: Type.Object({
              collaborator: Collaborator,
              newAccount: Type.Boolean({ description: 'True when an account was created for the address.' }),
            }),
            ...errors(400, 401, 403, 404, 409, 415),
          },
        },
      },
      async (request, reply) => {
        const theCase = await managed(request);
        const result = await deps.db.transaction().execute((trx) =>
          inviteCollaborator(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            theCase,
            email: request.body.email,
            ...(request.body.name?.trim() ? { name: request.body.name } : {}),
          }),
        );
        deps.wakeWorker();
        return reply.code(201).send(result);
      },
    );

    app.delete(
      '/api/v1/projects/:slug/cases/:number/collaborators/:id',
      {
        schema: {
          summary: "Revoke a collaborator's access to the case; it ends with their next request",
          tags,
          security: apiTokenRequired,
          params: GrantParams,
          response: { 200: Type.Object({ collaborator: Collaborator }), ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const theCase = await managed(request);
        const collaborator = await deps.db.transaction().execute((trx) =>
          revokeCollaborator(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            theCase,
            collaboratorId: request.params.id,
          }),
        );
        deps.wakeWorker();
        return { collaborator };
      },
    );
  };
}
