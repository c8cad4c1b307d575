import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { WEEKDAYS } from '../../domain/cases/embargo-policy.js';
import {
  getStoredEmbargoPolicy,
  type StoredEmbargoPolicy,
  updateEmbargoPolicy,
} from '../../domain/cases/embargo-policy.service.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { authorize } from '../../policies/policy.js';
import { requireJson } from './api-input.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';

// A project's embargo policy over JSON: the same service as the settings page. The schema mirrors
// EmbargoPolicy for the OpenAPI document and a first check; parseEmbargoPolicy has the last word
// (each notice period within the one it follows).

const Count = (minimum: number, maximum: number, description: string) =>
  Type.Integer({ minimum, maximum, description });

const Policy = Type.Object(
  {
    maxDays: Count(1, 90, 'The longest embargo, in days from the distributor notice to the release.'),
    distributorNoticeDays: Count(1, 90, 'Distributors are told this many days before the release; at most maxDays.'),
    criticalNoticeDays: Count(
      1,
      90,
      'For a critical case the proposed release is this many days ahead; at most distributorNoticeDays.',
    ),
    publicNoticeDays: Count(
      0,
      90,
      'The public "fix forthcoming" notice goes out this many days before the release; at most distributorNoticeDays.',
    ),
    prereleaseNoticeHours: Count(
      1,
      2160,
      'The last notice to distributors, this many hours before the release; at most distributorNoticeDays × 24.',
    ),
    retrospectiveDays: Count(0, 90, 'The retrospective is held this many days after the release.'),
    releaseHourUtc: Count(0, 23, 'The hour (UTC) of the usual release slot.'),
    releaseWeekdays: Type.Array(Type.Union(WEEKDAYS.map((d) => Type.Literal(d))), {
      minItems: 1,
      maxItems: 7,
      uniqueItems: true,
      description: 'The weekdays of the usual release slot.',
    }),
  },
  { additionalProperties: false },
);

const PolicyResponse = Type.Object({
  policy: Policy,
  isDefault: Type.Boolean({ description: 'True while the project follows the defaults.' }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const Params = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) });
const tags = ['embargo'];

const json = (stored: StoredEmbargoPolicy) => ({
  policy: stored.policy,
  isDefault: stored.isDefault,
  updatedAt: stored.updatedAt,
});

export function embargoPolicyApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);

    app.get(
      '/api/v1/projects/:slug/embargo-policy',
      {
        schema: {
          summary: 'The project’s embargo policy (its own, or the defaults)',
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: PolicyResponse, ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'project.view', { projectId: project.id });
        return json(await getStoredEmbargoPolicy(deps.db, project.id));
      },
    );

    app.put(
      '/api/v1/projects/:slug/embargo-policy',
      {
        schema: {
          summary: 'Replace the project’s embargo policy',
          description:
            'The whole policy; audited. Embargoes already planned keep their dates. Refusals name the field.',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Policy,
          response: { 200: PolicyResponse, ...errors(400, 401, 403, 404, 415) },
        },
      },
      async (request) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'project.embargo-policy.manage', { projectId: project.id });
        const stored = await deps.db.transaction().execute(async (trx) => {
          await updateEmbargoPolicy(trx, deps, {
            by: { actor: request.actor, origin: request.origin },
            projectId: project.id,
            policy: request.body,
          });
          return getStoredEmbargoPolicy(trx, project.id);
        });
        return json(stored);
      },
    );
  };
}
