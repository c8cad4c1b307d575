import { type Static, Type } from '@sinclair/typebox';
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { MAX_PACKAGES } from '../../domain/scan/dependent-inventory.js';
import type { InventoryInput, Registration } from '../../domain/scan/dependents.js';
import { requestDependentSubscription } from '../../domain/scan/dependents.service.js';
import { projectDependencies, registerProjectDependency } from '../../domain/scan/project-dependents.service.js';
import { DomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { requireJson } from './api-input.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';

// Ecosystem alerts over JSON: an outside subscription (the same double opt-in and limits as the
// public form; the answer never says whether the address was registered), and a project's own
// registrations (project.dependents.manage), which CI can keep current by posting its SBOM.

const Inventory = {
  file: Type.Optional(
    Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 1000, description: 'The file name, which selects its parser.' }),
        content: Type.String({ description: 'The lockfile or SBOM, as text.' }),
      },
      { additionalProperties: false },
    ),
  ),
  purls: Type.Optional(
    Type.Array(Type.String({ maxLength: 1000 }), {
      maxItems: MAX_PACKAGES,
      description: 'Package URLs; one without a version stands for every version.',
    }),
  ),
};
const RegistrationBody = Type.Object(Inventory, { additionalProperties: false });
const Subscription = Type.Object(
  {
    name: Type.String({ maxLength: 200, description: 'How the alerts address you: your project or organisation.' }),
    email: Type.String({ maxLength: 254 }),
    ...Inventory,
  },
  { additionalProperties: false },
);

const RegistrationOut = Type.Object({
  id: Type.String(),
  name: Type.String(),
  format: Type.String(),
  sha256: Type.String(),
  packageCount: Type.Integer(),
  uploadedAt: Type.String({ format: 'date-time' }),
});
const MatchOut = Type.Object({
  vulnId: Type.String(),
  summary: Type.String(),
  ecosystem: Type.String(),
  name: Type.String(),
  version: Type.String({ description: '"" for a package registered without a version.' }),
  fixedVersion: Type.Union([Type.String(), Type.Null()]),
  knownFixes: Type.Array(Type.String()),
});

/** Exactly one of a file and a list of package URLs. */
function inventoryOfBody(body: Static<typeof RegistrationBody>): InventoryInput {
  if (body.file && body.purls === undefined) return { kind: 'file', fileName: body.file.name, text: body.file.content };
  if (body.purls && body.file === undefined) return { kind: 'purls', text: body.purls.join('\n') };
  throw new DomainError('VALIDATION_FAILED', 'Send either "file" or "purls".', { field: 'file' });
}

const registrationJson = ({ dependentId: _d, ...r }: Registration) => r;

export function dependentsApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);
    // A lockfile of the size the upload form takes, as JSON text.
    const bodyLimit = 2 * deps.config.intake.maxAttachmentBytes + 1024 * 1024;
    const projectPath = '/api/v1/projects/:slug/dependents';
    const Params = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) });

    app.post(
      '/api/v1/dependents',
      {
        bodyLimit,
        schema: {
          summary: 'Ask to be alerted when an advisory affects packages you depend on',
          description:
            'Registers a lockfile or SBOM, or package URLs, under a name and an email address. Nothing is sent to the address but a confirmation link until its owner follows it.',
          tags: ['dependents'],
          body: Subscription,
          response: { 202: Type.Object({ status: Type.Literal('confirmation-sent') }), ...errors(400, 413, 415, 429) },
        },
      },
      async (request, reply) => {
        authorize(request.actor, 'dependents.subscribe', { projectId: null });
        const { name, email, ...rest } = request.body;
        const inventory = inventoryOfBody(rest);
        await deps.db
          .transaction()
          .execute((trx) => requestDependentSubscription(trx, deps, { name, email, inventory, ip: request.origin.ip }));
        deps.wakeWorker();
        return reply.code(202).send({ status: 'confirmation-sent' as const });
      },
    );

    app.get(
      projectPath,
      {
        schema: {
          summary: 'What the project registered as its dependencies, and what affects them now',
          tags: ['projects'],
          security: apiTokenRequired,
          params: Params,
          response: {
            200: Type.Object({ registrations: Type.Array(RegistrationOut), matches: Type.Array(MatchOut) }),
            ...errors(401, 403, 404),
          },
        },
      },
      async (request) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'project.dependents.manage', { projectId: project.id });
        const { registrations, matches } = await projectDependencies(deps.db, project.id);
        return { registrations: registrations.map(registrationJson), matches };
      },
    );

    app.post(
      projectPath,
      {
        bodyLimit,
        schema: {
          summary: 'Register (or replace, by file name) one of the project’s dependencies to watch',
          description: 'Project admins; audited. Its members are mailed when an advisory affects a registered version.',
          tags: ['projects'],
          security: apiTokenRequired,
          params: Params,
          body: RegistrationBody,
          response: { 201: Type.Object({ registration: RegistrationOut }), ...errors(400, 401, 403, 404, 413, 415) },
        },
      },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'project.dependents.manage', { projectId: project.id });
        const inventory = inventoryOfBody(request.body);
        const by = { actor: request.actor, origin: request.origin };
        const registration = await deps.db
          .transaction()
          .execute((trx) => registerProjectDependency(trx, deps, { by, project, inventory }));
        return reply.code(201).send({ registration: registrationJson(registration) });
      },
    );
  };
}
