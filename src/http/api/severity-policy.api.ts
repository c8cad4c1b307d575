import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { dayModes, releaseKinds } from '../../domain/severity/severity-policy.js';
import {
  getSeverityPolicy,
  type StoredSeverityPolicy,
  updateSeverityPolicy,
} from '../../domain/severity/severity-policy.service.js';
import { DomainError, isDomainError } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { requireJson } from './api-input.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';

// A project's severity policy over JSON: the same service as the settings page. The schema mirrors
// SeverityPolicy for the OpenAPI document and a first check; parseSeverityPolicy has the last word
// (the order of fix times, the gates' order, time zones, real calendar dates).

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const Days = (description: string) => Type.Integer({ minimum: 1, maximum: 3650, description });
const MonthDay = (description: string) => Type.String({ pattern: '^[0-9]{2}-[0-9]{2}$', description });
const Score = (description: string) => Type.Number({ minimum: 0, maximum: 10, description });

const Target = Type.Object(
  {
    fixDays: Days('Days from the case’s opening until the fix is due.'),
    release: literals(releaseKinds),
    remindDays: Type.Union([Days('Days without movement before the case owner is reminded.'), Type.Null()], {
      description: 'null: never reminded.',
    }),
  },
  { additionalProperties: false },
);

const Policy = Type.Object(
  {
    dayMode: literals(dayModes),
    timeZone: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'IANA time zone in which days, weekends and shutdowns are read, e.g. Europe/Berlin.',
    }),
    noFridayDeadline: Type.Boolean({ description: 'A deadline on a Friday moves forward to the next working day.' }),
    shutdowns: Type.Array(
      Type.Object(
        { from: MonthDay('First closed day, MM-DD.'), to: MonthDay('Last closed day, MM-DD; before from: wraps.') },
        { additionalProperties: false },
      ),
      { maxItems: 20, description: 'Yearly closed periods, both ends included.' },
    ),
    targets: Type.Object(
      { critical: Target, high: Target, medium: Target, low: Target },
      {
        additionalProperties: false,
        description: 'A more severe case never gets longer to fix than a less severe one.',
      },
    ),
    gates: Type.Object(
      {
        slowDownBelow: Score('Below this highest CVSS score the team may slow down (normal release flow).'),
        semiPublicBelow: Score('Below this score the fix may be developed semi-publicly. Not below slowDownBelow.'),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

const PolicyResponse = Type.Object({
  policy: Policy,
  isDefault: Type.Boolean({ description: 'True while the project follows the defaults.' }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const Params = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) });
const tags = ['severity'];

function json(stored: StoredSeverityPolicy) {
  return { policy: stored.policy, isDefault: stored.isDefault, updatedAt: stored.updatedAt };
}

/** A refusal's field as the API names fields everywhere (`targets/high/fixDays`, as schema errors do). */
function asApiField(err: unknown): unknown {
  const field = isDomainError(err) ? err.details?.field : undefined;
  if (!isDomainError(err) || typeof field !== 'string') return err;
  return new DomainError(err.code, err.message, { ...err.details, field: field.replaceAll('.', '/') });
}

export function severityPolicyApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);

    type R = Pick<FastifyRequest, 'actor'> & { params: { slug: string } };
    /** Members read the policy; those who manage the project (instance admins too) also read what they may change. */
    const readable = async (request: R): Promise<Project> => {
      const project = await requireProject(deps.db, request.params.slug);
      const subject = { projectId: project.id };
      authorize(request.actor, 'project.severity-policy.read', subject);
      return project;
    };

    app.get(
      '/api/v1/projects/:slug/severity-policy',
      {
        schema: {
          summary: 'The project’s severity policy (its own, or the defaults)',
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: PolicyResponse, ...errors(401, 403, 404) },
        },
      },
      async (request) => json(await getSeverityPolicy(deps.db, (await readable(request)).id)),
    );

    app.put(
      '/api/v1/projects/:slug/severity-policy',
      {
        schema: {
          summary: 'Replace the project’s severity policy',
          description: 'The whole policy; audited. Refusals name the field, e.g. targets/high/fixDays.',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Policy,
          response: { 200: PolicyResponse, ...errors(400, 401, 403, 404, 415) },
        },
      },
      async (request) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'project.manage', { projectId: project.id });
        try {
          const saved = await deps.db.transaction().execute((trx) =>
            updateSeverityPolicy(trx, deps, {
              actor: request.actor,
              origin: request.origin,
              projectId: project.id,
              policy: request.body,
            }),
          );
          return json(saved);
        } catch (err) {
          throw asApiField(err);
        }
      },
    );
  };
}
