import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { auditCaseRead, getCaseForTeam, requireCase } from '../../domain/cases/cases.service.js';
import { caseSubject } from '../../domain/cases/collaborators.service.js';
import { WEEKDAYS } from '../../domain/cases/embargo-policy.js';
import { parseInstant } from '../../domain/cases/embargo-timeline.js';
import { iso } from '../../clock.js';
import {
  activateEmbargo,
  EMBARGO_STATES,
  getEmbargo,
  getEmbargoPolicy,
  proposeEmbargo,
  proposedTimeline,
  reviseEmbargo,
} from '../../domain/cases/embargo.service.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { authorize } from '../../policies/policy.js';
import { requireJson } from './api-input.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';

// A case's embargo over JSON: the same services as the case page's Embargo section.

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});

const Instant = (description: string) => Type.String({ format: 'date-time', description });
const MaybeInstant = (description: string) => Type.Union([Instant(description), Type.Null()]);
const Timeline = {
  distributorNoticeAt: MaybeInstant('Distributors are told (UTC).'),
  publicNoticeAt: MaybeInstant('The public "fix forthcoming" notice: date, severity, components, no details.'),
  prereleaseNoticeAt: MaybeInstant('The last notice to distributors before the release.'),
  releaseAt: Instant('The planned release (UTC).'),
  retrospectiveAt: MaybeInstant('The retrospective.'),
};
export const TimelineDoneSchema = Type.Object(
  {
    distributorNotice: MaybeInstant('When the distributors were notified.'),
    publicNotice: MaybeInstant('When the "fix forthcoming" notice was published.'),
    prereleaseNotice: MaybeInstant('When the pre-release notice went to the distributors.'),
    release: MaybeInstant('When the go published the case.'),
    retrospective: MaybeInstant('When the retrospective was drafted.'),
  },
  { description: 'When each step of the timeline was done; null while it is to come.' },
);
const Embargo = Type.Object({
  state: Type.Union(EMBARGO_STATES.map((s) => Type.Literal(s))),
  ...Timeline,
  done: TimelineDoneSchema,
  createdAt: Instant('When it was proposed.'),
  updatedAt: Instant('Its last change.'),
  revisions: Type.Array(
    Type.Object({
      at: Instant('When the release was planned or moved.'),
      actorLabel: Type.String(),
      previousReleaseAt: MaybeInstant('The release time it replaced; null for the first plan.'),
      releaseAt: Instant('The release time it set.'),
      reason: Type.Union([Type.String(), Type.Null()]),
    }),
    { description: 'Newest first.' },
  ),
});
const Policy = Type.Object({
  maxDays: Type.Integer(),
  distributorNoticeDays: Type.Integer(),
  criticalNoticeDays: Type.Integer(),
  publicNoticeDays: Type.Integer(),
  prereleaseNoticeHours: Type.Integer(),
  retrospectiveDays: Type.Integer(),
  releaseHourUtc: Type.Integer(),
  releaseWeekdays: Type.Array(Type.Union(WEEKDAYS.map((d) => Type.Literal(d)))),
});
const EmbargoView = Type.Object({
  embargo: Type.Union([Embargo, Type.Null()]),
  proposal: Type.Union([Type.Object(Timeline), Type.Null()], {
    description: 'While the case has no embargo and may get one: the proposed slot and its timeline.',
  }),
  policy: Policy,
});

const tags = ['cases'];

export function caseEmbargoApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);
    const tx = deps.db.transaction();

    app.get(
      '/api/v1/projects/:slug/cases/:number/embargo',
      {
        schema: {
          summary: "A case's embargo with its timeline and revisions, or the proposed one",
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: EmbargoView, ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const project = await requireProject(deps.db, request.params.slug);
        const number = Number(request.params.number);
        authorize(request.actor, 'case.read', await caseSubject(deps.db, { projectId: project.id, number }));
        // An audited read, like every read of a case under embargo.
        return tx.execute(async (trx) => {
          const view = await getCaseForTeam(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            projectId: project.id,
            number,
          });
          const theCase = view.case;
          const embargo = await getEmbargo(trx, theCase.id);
          const plannable = ['fix_in_progress', 'fix_ready'].includes(theCase.state) && !theCase.embargoBrokenAt;
          return {
            embargo,
            proposal: !embargo && plannable ? await proposedTimeline(trx, deps, theCase) : null,
            policy: await getEmbargoPolicy(trx, project.id),
          };
        });
      },
    );

    app.put(
      '/api/v1/projects/:slug/cases/:number/embargo',
      {
        schema: {
          summary: "Propose, revise or put in force the case's embargo",
          description:
            'With no embargo yet: proposes one (state proposed) at releaseAt, or at the proposed slot when it is ' +
            'left out. With one: a different releaseAt revises it and needs a reason (kept with the revision). ' +
            'activate: true then puts it in force: the case must be fix_ready and moves to scheduled, and the ' +
            'reporter is told the release time. All or nothing. A release later than the maximum embargo after ' +
            'the distributor notice is refused with 422 EMBARGO_TOO_LONG; a case in the wrong state with 409 ' +
            'INVALID_TRANSITION.',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Type.Object(
            {
              releaseAt: Type.Optional(
                Type.String({ maxLength: 40, description: 'ISO-8601; without a zone it is read as UTC.' }),
              ),
              distributorNoticeAt: Type.Optional(
                Type.String({
                  maxLength: 40,
                  description: 'When the distributors are (or were) told; default: the policy days before the release.',
                }),
              ),
              reason: Type.Optional(Type.String({ maxLength: 2000 })),
              activate: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ embargo: Embargo }), ...errors(400, 401, 403, 404, 409, 415, 422) },
        },
      },
      async (request) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'case.embargo.manage', { projectId: project.id });
        const theCase = await requireCase(deps.db, project.id, Number(request.params.number));
        const by = { actor: request.actor, origin: request.origin, theCase };
        const body = request.body;
        const embargo = await tx.execute(async (trx) => {
          const before = await getEmbargo(trx, theCase.id);
          const changed = (after: typeof before) =>
            after?.updatedAt !== before?.updatedAt || after?.revisions.length !== before?.revisions.length;
          let current = before;
          if (!current) {
            current = await proposeEmbargo(trx, deps, {
              ...by,
              releaseAt: body.releaseAt ?? null,
              distributorNoticeAt: body.distributorNoticeAt ?? null,
            });
          } else if (
            body.releaseAt !== undefined &&
            iso(parseInstant(body.releaseAt, 'releaseAt')) !== current.releaseAt
          ) {
            current = await reviseEmbargo(trx, deps, {
              ...by,
              releaseAt: body.releaseAt,
              reason: body.reason ?? '',
              distributorNoticeAt: body.distributorNoticeAt ?? null,
            });
          }
          if (body.activate) current = await activateEmbargo(trx, deps, by);
          // Nothing changed: the answer still shows the embargo, so the read is audited.
          if (!changed(current)) await auditCaseRead(trx, deps, by, theCase);
          return current;
        });
        deps.wakeWorker();
        return { embargo };
      },
    );
  };
}
