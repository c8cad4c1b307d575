import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import {
  addPackage,
  addRange,
  branchStatuses,
  caseAffected,
  type CaseAffected,
  removePackage,
  removeRange,
  setBranchStatus,
} from '../../domain/cases/affected.service.js';
import type { Case } from '../../domain/cases/cases.js';
import { getCaseForTeam, requireCase } from '../../domain/cases/cases.service.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { isDomainError } from '../../errors.js';
import { authorize, can } from '../../policies/policy.js';
import { requireJson } from './api-input.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';
import { auditCaseRead } from '../../domain/cases/cases.service.js';

// A case's release branches and affected packages over JSON: the same services as the case page.

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const version = (description: string) => Type.String({ minLength: 1, maxLength: 100, description });
const optionalVersion = (description: string) => Type.Optional(nullable(Type.String({ maxLength: 100, description })));

const CaseParams = {
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
};
const Params = Type.Object(CaseParams);
const IdParams = Type.Object({ ...CaseParams, id: Type.String({ minLength: 1, maxLength: 64 }) });
const BranchParams = Type.Object({ ...CaseParams, branchId: Type.String({ minLength: 1, maxLength: 64 }) });

const Status = Type.Union(branchStatuses.map((s) => Type.Literal(s)));
const Branch = Type.Object({
  branchId: Type.String(),
  name: Type.String(),
  endOfSupport: nullable(Type.String({ description: 'YYYY-MM-DD; support lasts through that day.' })),
  supported: Type.Boolean(),
  status: Status,
  fixedVersion: nullable(Type.String()),
  updatedAt: nullable(Type.String({ format: 'date-time' })),
});
const Range = Type.Object({
  id: Type.String(),
  packageId: Type.String(),
  branchId: nullable(Type.String()),
  branchName: nullable(Type.String()),
  introduced: Type.String({ description: '"0" means before every version.' }),
  fixed: nullable(Type.String()),
  lastAffected: nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
});
const Package = Type.Object({
  id: Type.String(),
  ecosystem: Type.String({ description: 'An OSV ecosystem as OSV spells it, e.g. "npm", "PyPI", "Debian:12".' }),
  name: Type.String(),
  purl: nullable(Type.String({ description: 'Canonical package URL, without a version.' })),
  createdAt: Type.String({ format: 'date-time' }),
  ranges: Type.Array(Range),
  fixedVersions: Type.Array(Type.String()),
});
const Affected = Type.Object(
  {
    branches: Type.Array(Branch, { description: 'Supported branches first, then those whose support ended.' }),
    packages: Type.Array(Package),
  },
  { description: "The case on each release branch of its project, and its affected packages' version ranges." },
);
const Created = Type.Object({ id: Type.String(), affected: Affected });

const tags = ['cases'];

export function caseAffectedApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);

    type R = Pick<FastifyRequest, 'actor' | 'origin'> & { params: { slug: string; number: string } };
    const now = () => deps.clock.now();
    const numberOf = (request: R) => Number(request.params.number);

    /**
     * Authorizes a read: members on the project; anyone else only as an invited collaborator of
     * this very case, which needs the case first. Either way an outsider learns nothing (NOT_FOUND).
     */
    async function readable(request: R): Promise<string> {
      const project = await requireProject(deps.db, request.params.slug);
      const member = can(request.actor, 'case.read', { projectId: project.id });
      const theCase = member
        ? undefined
        : await requireCase(deps.db, project.id, numberOf(request)).catch((err: unknown) => {
            if (isDomainError(err) && err.code === 'NOT_FOUND') return undefined;
            throw err;
          });
      authorize(request.actor, 'case.read', { projectId: project.id, ...(theCase ? { caseId: theCase.id } : {}) });
      return project.id;
    }

    /** Runs a change once the actor may edit the case, and answers with the case's state after it. */
    async function change<T>(
      request: R,
      run: (trx: Trx, by: { actor: R['actor']; origin: R['origin']; theCase: Case }) => Promise<T>,
    ): Promise<{ result: T; affected: CaseAffected }> {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'case.affected.edit', { projectId: project.id });
      const theCase = await requireCase(deps.db, project.id, numberOf(request));
      const out = await deps.db.transaction().execute(async (trx) => {
        const result = await run(trx, { actor: request.actor, origin: request.origin, theCase });
        // A change that changed nothing is audited as what it is: a read of the case's affected versions.
        if (result === false) await auditCaseRead(trx, deps, request, theCase);
        return { result, affected: await caseAffected(trx, theCase, now()) };
      });
      deps.wakeWorker();
      return out;
    }

    app.get(
      '/api/v1/projects/:slug/cases/:number/affected',
      {
        schema: {
          summary: "A case's status on each release branch, and its affected packages with version ranges",
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: Affected, ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const projectId = await readable(request);
        // The packages of an embargoed case are embargoed content: the read is audited as a case view.
        return deps.db.transaction().execute(async (trx) => {
          const view = await getCaseForTeam(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            projectId,
            number: numberOf(request),
          });
          return caseAffected(trx, view.case, now());
        });
      },
    );

    app.put(
      '/api/v1/projects/:slug/cases/:number/affected/branches/:branchId',
      {
        schema: {
          summary: "Set a case's status on a release branch of its project",
          description:
            "'fixed' needs the fixedVersion that fixes the branch; the other statuses take none. A branch of " +
            'another project is 404.',
          tags,
          security: apiTokenRequired,
          params: BranchParams,
          body: Type.Object(
            { status: Status, fixedVersion: optionalVersion('Only with status "fixed".') },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ changed: Type.Boolean(), affected: Affected }),
            ...errors(400, 401, 403, 404, 415),
          },
        },
      },
      async (request) => {
        const { result, affected } = await change(request, (trx, by) =>
          setBranchStatus(trx, deps, {
            ...by,
            branchId: request.params.branchId,
            status: request.body.status,
            fixedVersion: request.body.fixedVersion ?? null,
          }),
        );
        return { changed: result, affected };
      },
    );

    app.post(
      '/api/v1/projects/:slug/cases/:number/affected/packages',
      {
        schema: {
          summary: 'Add an affected package to a case',
          description:
            "The ecosystem is checked against OSV's list (exact spelling, release suffix where OSV defines one). " +
            'The purl, when given, must fit the ecosystem and name and carry no version; it is stored in canonical form.',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Type.Object(
            {
              ecosystem: Type.String({ minLength: 1, maxLength: 200 }),
              name: Type.String({ minLength: 1, maxLength: 300 }),
              purl: Type.Optional(nullable(Type.String({ maxLength: 1000 }))),
            },
            { additionalProperties: false },
          ),
          response: { 201: Created, ...errors(400, 401, 403, 404, 409, 415) },
        },
      },
      async (request, reply) => {
        const { result, affected } = await change(request, (trx, by) =>
          addPackage(trx, deps, { ...by, ...request.body }),
        );
        return reply.code(201).send({ id: result.id, affected });
      },
    );

    app.delete(
      '/api/v1/projects/:slug/cases/:number/affected/packages/:id',
      {
        schema: {
          summary: 'Remove an affected package (and its ranges) from a case',
          tags,
          security: apiTokenRequired,
          params: IdParams,
          response: { 200: Type.Object({ affected: Affected }), ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const { affected } = await change(request, (trx, by) =>
          removePackage(trx, deps, { ...by, packageId: request.params.id }),
        );
        return { affected };
      },
    );

    app.post(
      '/api/v1/projects/:slug/cases/:number/affected/packages/:id/ranges',
      {
        schema: {
          summary: "Add a version range to one of a case's affected packages",
          description:
            'OSV events: introduced ("0" for since the first version), then fixed or lastAffected, not both; ' +
            'neither while no release is fixed. branchId ties the range to a release branch of the project.',
          tags,
          security: apiTokenRequired,
          params: IdParams,
          body: Type.Object(
            {
              introduced: version('The first affected version, or "0".'),
              fixed: optionalVersion('The first version with the fix.'),
              lastAffected: optionalVersion('The last affected version, when no fixed one is known.'),
              branchId: Type.Optional(nullable(Type.String({ maxLength: 64 }))),
            },
            { additionalProperties: false },
          ),
          response: { 201: Created, ...errors(400, 401, 403, 404, 409, 415) },
        },
      },
      async (request, reply) => {
        const { result, affected } = await change(request, (trx, by) =>
          addRange(trx, deps, { ...by, packageId: request.params.id, ...request.body }),
        );
        return reply.code(201).send({ id: result.id, affected });
      },
    );

    app.delete(
      '/api/v1/projects/:slug/cases/:number/affected/ranges/:id',
      {
        schema: {
          summary: "Remove a version range from one of a case's affected packages",
          tags,
          security: apiTokenRequired,
          params: IdParams,
          response: { 200: Type.Object({ affected: Affected }), ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const { affected } = await change(request, (trx, by) =>
          removeRange(trx, deps, { ...by, rangeId: request.params.id }),
        );
        return { affected };
      },
    );
  };
}
