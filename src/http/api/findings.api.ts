import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import type { Finding } from '../../domain/scan/findings.js';
import { FINDING_STATES, NOT_AFFECTED_JUSTIFICATIONS, SEVERITY_LABELS } from '../../domain/scan/findings.js';
import { listFindings, triageFinding } from '../../domain/scan/findings.service.js';
import {
  type Inventory,
  listInventories,
  MAX_INVENTORY_BYTES,
  registerInventory,
  removeInventory,
  requireProjectBranch,
} from '../../domain/scan/inventories.service.js';
import { type Action, authorize } from '../../policies/policy.js';
import { requireJson } from './api-input.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';

// A project's dependency monitoring over JSON, for its CI: register a release branch's lockfile or
// SBOM (the file's text in a JSON body, like every body of this API), list the branch's
// registrations, and read and triage the findings. The same services as the dependencies page.

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Maybe = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const Instant = Type.String({ format: 'date-time' });

const InventorySchema = Type.Object({
  id: Type.String(),
  branch: Type.String({ description: 'The release branch’s name.' }),
  name: Type.String(),
  format: Type.String(),
  sha256: Type.String(),
  packageCount: Type.Integer(),
  uploadedAt: Instant,
  uploadedBy: Type.String(),
});
const EvaluationSchema = Type.Object(
  { new: Type.Integer(), gone: Type.Integer(), present: Type.Integer() },
  { description: 'What re-evaluating the branch found: new findings, findings gone, findings present now.' },
);
const FindingSchema = Type.Object({
  id: Type.String(),
  branch: Type.String(),
  vulnId: Type.String(),
  aliases: Type.Array(Type.String()),
  advisoryUrl: Maybe(Type.String()),
  ecosystem: Type.String(),
  name: Type.String(),
  version: Type.String(),
  summary: Type.String(),
  severity: literals(SEVERITY_LABELS),
  fixedVersion: Maybe(Type.String()),
  state: literals(FINDING_STATES),
  justification: Maybe(literals(NOT_AFFECTED_JUSTIFICATIONS)),
  note: Type.String(),
  owner: Maybe(Type.Object({ userId: Type.String(), name: Type.String() })),
  present: Type.Boolean({ description: 'The branch still ships the version and the database still lists it.' }),
  firstSeenAt: Instant,
  lastSeenAt: Instant,
  goneAt: Maybe(Instant),
  dueAt: Maybe(Instant),
  resolvedAt: Maybe(Instant),
  overdue: Type.Boolean(),
});

const Slug = Type.String({ minLength: 1, maxLength: 64 });
const BranchParams = Type.Object({ slug: Slug, branch: Type.String({ minLength: 1, maxLength: 100 }) });
const InventoryParams = Type.Object({
  ...BranchParams.properties,
  name: Type.String({ minLength: 1, maxLength: 200 }),
});

const tags = ['dependencies'];

const inventoryJson = (branch: string, i: Inventory) => ({
  id: i.id,
  branch,
  name: i.name,
  format: i.format,
  sha256: i.sha256,
  packageCount: i.packageCount,
  uploadedAt: i.uploadedAt,
  uploadedBy: i.uploadedBy,
});
const findingJson = (f: Finding) => ({
  id: f.id,
  branch: f.branchName,
  vulnId: f.vulnId,
  aliases: f.aliases,
  advisoryUrl: f.advisoryUrl,
  ecosystem: f.ecosystem,
  name: f.name,
  version: f.version,
  summary: f.summary,
  severity: f.severity,
  fixedVersion: f.fixedVersion,
  state: f.state,
  justification: f.justification,
  note: f.note,
  owner: f.owner,
  present: f.present,
  firstSeenAt: f.firstSeenAt,
  lastSeenAt: f.lastSeenAt,
  goneAt: f.goneAt,
  dueAt: f.dueAt,
  resolvedAt: f.resolvedAt,
  overdue: f.overdue,
});

export function findingsApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);
    const base = '/api/v1/projects/:slug';
    const by = (request: Pick<FastifyRequest, 'actor' | 'origin'>) => ({
      actor: request.actor,
      origin: request.origin,
    });

    async function allowed(request: Pick<FastifyRequest, 'actor'> & { params: { slug: string } }, action: Action) {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, action, { projectId: project.id });
      return project;
    }
    const branchOf = (project: Project, name: string) => requireProjectBranch(deps.db, { projectId: project.id, name });

    app.put(
      `${base}/branches/:branch/inventories/:name`,
      {
        bodyLimit: 2 * MAX_INVENTORY_BYTES + 64 * 1024,
        schema: {
          summary: 'Register a release branch’s lockfile or SBOM (from CI)',
          description:
            'The file’s text goes in `content`; `format` names its format (see the dependencies page for the ' +
            'list), or is left out to tell it from `name` (the file’s path in the repository, URL-encoded: ' +
            'web%2Fpackage-lock.json). A registration of the same name on the branch is replaced. The branch’s ' +
            'findings are re-evaluated at once, and the project’s members told of new ones. A file that does not ' +
            'parse, or an unknown format: 400 VALIDATION_FAILED saying why, and nothing is stored.',
          tags,
          security: apiTokenRequired,
          params: InventoryParams,
          body: Type.Object(
            {
              format: Type.Optional(Type.String({ minLength: 1, maxLength: 100, examples: ['package-lock.json'] })),
              content: Type.String({ description: 'The lockfile or SBOM, as text.' }),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              inventory: InventorySchema,
              replaced: Type.Literal(true),
              evaluation: EvaluationSchema,
            }),
            201: Type.Object({
              inventory: InventorySchema,
              replaced: Type.Literal(false),
              evaluation: EvaluationSchema,
            }),
            ...errors(400, 401, 403, 404, 413, 415),
          },
        },
      },
      async (request, reply) => {
        const project = await allowed(request, 'project.inventories.manage');
        const branch = await branchOf(project, request.params.branch);
        const result = await deps.db.transaction().execute((trx) =>
          registerInventory(trx, deps, {
            ...by(request),
            projectId: project.id,
            branchId: branch.id,
            name: request.params.name,
            text: request.body.content,
            ...(request.body.format !== undefined ? { format: request.body.format } : {}),
          }),
        );
        deps.wakeWorker();
        return reply.status(result.replaced ? 200 : 201).send({
          inventory: inventoryJson(branch.name, result.inventory),
          replaced: result.replaced,
          evaluation: result.evaluation,
        });
      },
    );

    app.get(
      `${base}/branches/:branch/inventories`,
      {
        schema: {
          summary: 'The lockfiles and SBOMs registered for a release branch',
          tags,
          security: apiTokenRequired,
          params: BranchParams,
          response: { 200: Type.Object({ inventories: Type.Array(InventorySchema) }), ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const project = await allowed(request, 'project.findings.read');
        const branch = await branchOf(project, request.params.branch);
        const list = await listInventories(deps.db, { projectId: project.id, branchIds: [branch.id] });
        return { inventories: list.map((i) => inventoryJson(branch.name, i)) };
      },
    );

    app.delete(
      `${base}/branches/:branch/inventories/:name`,
      {
        schema: {
          summary: 'Remove a release branch’s lockfile or SBOM',
          description: 'Its packages no longer count: the findings only it held are marked gone.',
          tags,
          security: apiTokenRequired,
          params: InventoryParams,
          response: {
            200: Type.Object({ removed: InventorySchema, evaluation: EvaluationSchema }),
            ...errors(401, 403, 404),
          },
        },
      },
      async (request) => {
        const project = await allowed(request, 'project.inventories.manage');
        const branch = await branchOf(project, request.params.branch);
        const result = await deps.db.transaction().execute((trx) =>
          removeInventory(trx, deps, {
            ...by(request),
            projectId: project.id,
            branchId: branch.id,
            name: request.params.name,
          }),
        );
        deps.wakeWorker();
        return { removed: inventoryJson(branch.name, result.inventory), evaluation: result.evaluation };
      },
    );

    app.get(
      `${base}/findings`,
      {
        schema: {
          summary: 'The vulnerable dependencies of the project’s release branches',
          description:
            'By branch; in each, those still shipped first, then by severity and due date. overdue=true: only ' +
            'findings still open (in_triage, affected), shipped, and past their due date.',
          tags,
          security: apiTokenRequired,
          params: Type.Object({ slug: Slug }),
          querystring: Type.Object(
            {
              branch: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'A branch’s name.' })),
              state: Type.Optional(literals(FINDING_STATES)),
              present: Type.Optional(Type.Boolean({ description: 'true: still shipped; false: gone.' })),
              overdue: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ findings: Type.Array(FindingSchema) }), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const project = await allowed(request, 'project.findings.read');
        const { branch, state, present, overdue } = request.query;
        const branchId = branch === undefined ? undefined : (await branchOf(project, branch)).id;
        const findings = await listFindings(deps.db, {
          projectId: project.id,
          now: deps.clock.now(),
          ...(branchId !== undefined ? { branchId } : {}),
          ...(state !== undefined ? { state } : {}),
          ...(present !== undefined ? { present } : {}),
          ...(overdue !== undefined ? { overdue } : {}),
        });
        return { findings: findings.map(findingJson) };
      },
    );

    app.patch(
      `${base}/findings/:id`,
      {
        schema: {
          summary: 'Triage a finding: its VEX state, justification, owner and note',
          description:
            'Fields left out stay. not_affected needs a justification (CycloneDX / OpenVEX); any other state ' +
            'takes none. The owner is a project member’s user id, or null. Audited.',
          tags,
          security: apiTokenRequired,
          params: Type.Object({ slug: Slug, id: Type.String({ minLength: 1, maxLength: 64 }) }),
          body: Type.Object(
            {
              state: Type.Optional(literals(FINDING_STATES)),
              justification: Type.Optional(Maybe(literals(NOT_AFFECTED_JUSTIFICATIONS))),
              owner: Type.Optional(Maybe(Type.String({ minLength: 1, maxLength: 64 }))),
              note: Type.Optional(Type.String({ maxLength: 10_000 })),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: Type.Object({ finding: FindingSchema }), ...errors(400, 401, 403, 404, 415) },
        },
      },
      async (request) => {
        const project = await allowed(request, 'project.findings.triage');
        const { state, justification, owner, note } = request.body;
        const finding = await deps.db.transaction().execute((trx) =>
          triageFinding(trx, deps, {
            ...by(request),
            projectId: project.id,
            findingId: request.params.id,
            ...(state !== undefined ? { state } : {}),
            ...(justification !== undefined ? { justification } : {}),
            ...(owner !== undefined ? { owner } : {}),
            ...(note !== undefined ? { note } : {}),
          }),
        );
        return { finding: findingJson(finding) };
      },
    );
  };
}
