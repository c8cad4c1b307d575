import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Case } from '../../domain/cases/cases.js';
import type { Deps } from '../../deps.js';
import { ADVISORY_PROSE_FIELDS, CREDIT_TYPES } from '../../domain/advisories/advisories.js';
import { getAdvisory, parseAdvisoryText, saveAdvisoryDraft } from '../../domain/advisories/advisories.service.js';
import { REFERENCE_TYPES } from '../../domain/advisories/advisory-record.js';
import { ANNOUNCEMENT_KINDS } from '../../domain/announcements/announcements.js';
import { caseAnnouncements } from '../../domain/announcements/announcements.service.js';
import { cancelRelease, getEmbargo, releaseNow } from '../../domain/cases/embargo.service.js';
import { DISTRIBUTOR_MESSAGE_KINDS } from '../../domain/distributors/distributors.js';
import { caseNotices } from '../../domain/distributors/notices.service.js';
import { getRetrospective, saveRetrospective } from '../../domain/release/retrospective.service.js';
import { DomainError } from '../../errors.js';
import { requireJson } from './api-input.js';
import { type CaseRequest, onCase } from './case-scope.js';
import { TimelineDoneSchema } from './case-embargo.api.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';

// A case's disclosure over JSON: its advisory draft, who of the distributors received what, its
// announcements, the go's controls (cancel before it starts, release now after a break) and the
// retrospective. The same services as the case page.

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});
const Instant = Type.String({ format: 'date-time' });
const Maybe = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
const Credit = Type.Object({ name: Type.String(), type: Type.Union(CREDIT_TYPES.map((t) => Type.Literal(t))) });
const prose = Object.fromEntries(ADVISORY_PROSE_FIELDS.map((f) => [f, Type.String()])) as Record<
  (typeof ADVISORY_PROSE_FIELDS)[number],
  ReturnType<typeof Type.String>
>;
export const ReferenceSchema = Type.Object({
  type: Type.Union(REFERENCE_TYPES.map((t) => Type.Literal(t))),
  url: Type.String(),
});
/** A case's advisory as the API shows it (draft or published); cases/advisory routes share it. */
export const Advisory = Type.Object({
  publicId: Maybe(Type.String()),
  publishedAt: Maybe(Instant),
  updatedAt: Maybe(Instant),
  summary: Type.String(),
  ...prose,
  credits: Type.Array(Credit),
  aliases: Type.Array(Type.String(), {
    description: 'Other ids of the vulnerability (GHSA-..., GO-...); not the CVE id.',
  }),
  related: Type.Array(Type.String(), { description: 'Ids of related but different vulnerabilities.' }),
  references: Type.Array(ReferenceSchema),
  cveId: Maybe(Type.String()),
  cveRequestedFrom: Maybe(
    Type.String({ description: 'A project that is no CNA: whom the CVE id was requested from.' }),
  ),
  cveRequestedAt: Maybe(Instant),
  revision: Type.Integer({ description: '0 until published; 1 at publication, one more per revision.' }),
  modifiedAt: Maybe(Instant),
  withdrawnAt: Maybe(Instant),
  withdrawnReason: Maybe(Type.String()),
});
/** The text of an advisory as PUT takes it; a revision takes the same. */
export const AdvisoryBody = Type.Object(
  {
    summary: Type.Optional(Type.String({ maxLength: 300 })),
    ...Object.fromEntries(ADVISORY_PROSE_FIELDS.map((f) => [f, Type.Optional(Type.String({ maxLength: 20_000 }))])),
    credits: Type.Optional(
      Type.Array(
        Type.Object(
          { name: Type.String({ maxLength: 200 }), type: Type.Optional(Type.String({ maxLength: 40 })) },
          { additionalProperties: false },
        ),
        { maxItems: 50 },
      ),
    ),
  },
  { additionalProperties: false },
);
const Disclosure = Type.Object({
  done: Type.Union([TimelineDoneSchema, Type.Null()]),
  notices: Type.Array(
    Type.Object({
      distributor: Type.String(),
      notifiedAt: Instant,
      acknowledgedAt: Maybe(Instant),
      releaseAt: Instant,
      patches: Type.Array(Type.Object({ filename: Type.String(), branch: Type.String(), sha256: Type.String() })),
      recipients: Type.Array(
        Type.Object({
          email: Type.String(),
          acknowledgedAt: Maybe(Instant),
          messages: Type.Array(
            Type.Object({
              kind: Type.Union(DISTRIBUTOR_MESSAGE_KINDS.map((k) => Type.Literal(k))),
              at: Instant,
              status: Type.String({ description: 'The mail: queued, sent, stored or failed.' }),
              encrypted: Type.Boolean(),
            }),
          ),
        }),
      ),
    }),
  ),
  announcements: Type.Array(
    Type.Object({
      id: Type.String(),
      kind: Type.Union(ANNOUNCEMENT_KINDS.map((k) => Type.Literal(k))),
      subject: Type.String(),
      publishedAt: Instant,
      fannedOutAt: Maybe(Instant),
      copies: Type.Integer(),
    }),
  ),
});
const Retrospective = Type.Object({ body: Type.String(), draftedAt: Instant, updatedAt: Instant });

const tags = ['cases'];

export function caseReleaseApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);
    const by = (request: CaseRequest, theCase: Case) => ({ actor: request.actor, origin: request.origin, theCase });

    app.get(
      '/api/v1/projects/:slug/cases/:number/advisory',
      {
        schema: {
          summary: "A case's advisory: its draft, or the published advisory",
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: Type.Object({ advisory: Advisory }), ...errors(401, 403, 404) },
        },
      },
      (request) =>
        onCase(deps, request, 'case.read', async (trx, theCase) => ({ advisory: await getAdvisory(trx, theCase) })),
    );

    app.put(
      '/api/v1/projects/:slug/cases/:number/advisory',
      {
        schema: {
          summary: "Replace a case's advisory draft",
          description:
            'Fields left out are empty. Credits name someone and an OSV credit type (FINDER, REPORTER, ...). ' +
            'A published advisory is refused with 409 INVALID_TRANSITION; a scheduled case needs a summary.',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: AdvisoryBody,
          response: { 200: Type.Object({ advisory: Advisory }), ...errors(400, 401, 403, 404, 409, 415, 422) },
        },
      },
      async (request) => {
        const text = parseAdvisoryText(request.body);
        return onCase(deps, request, 'case.advisory.edit', async (trx, theCase) => ({
          advisory: (await saveAdvisoryDraft(trx, deps, { ...by(request, theCase), text })).advisory,
        }));
      },
    );

    app.get(
      '/api/v1/projects/:slug/cases/:number/disclosure',
      {
        schema: {
          summary: 'Who of the distributors received what about a case, and its announcements',
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: Disclosure, ...errors(401, 403, 404) },
        },
      },
      // The project's members only: distributors' contacts are not a collaborator's to know.
      (request) =>
        onCase(deps, request, 'project.view', async (trx, theCase) => ({
          done: (await getEmbargo(trx, theCase.id))?.done ?? null,
          notices: (await caseNotices(trx, theCase.id)).map((n) => ({
            distributor: n.distributorName,
            notifiedAt: n.notifiedAt,
            acknowledgedAt: n.acknowledgedAt,
            releaseAt: n.snapshot.releaseAt,
            patches: n.snapshot.patches.map((p) => ({ filename: p.filename, branch: p.branchName, sha256: p.sha256 })),
            recipients: n.recipients.map((r) => ({
              email: r.email,
              acknowledgedAt: r.acknowledgedAt,
              messages: r.messages.map((m) => ({
                kind: m.kind,
                at: m.at,
                status: m.emailStatus,
                encrypted: m.encrypted,
              })),
            })),
          })),
          announcements: (await caseAnnouncements(trx, theCase.id)).map((a) => ({
            id: a.id,
            kind: a.kind,
            subject: a.subject,
            publishedAt: a.publishedAt,
            fannedOutAt: a.fannedOutAt,
            copies: a.copies,
          })),
        })),
    );

    app.post(
      '/api/v1/projects/:slug/cases/:number/release',
      {
        schema: {
          summary: 'Cancel the go before it starts, or release now after the embargo broke',
          description:
            'cancel: the case goes back to fix_ready and its embargo is held (a reason is required; the ' +
            'distributors already told hear of it). now: only for a broken embargo and a ready fix; the go runs at ' +
            'once. A case in the wrong state is refused with 409 INVALID_TRANSITION.',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Type.Object(
            {
              action: Type.Union([Type.Literal('cancel'), Type.Literal('now')]),
              reason: Type.Optional(Type.String({ maxLength: 2000 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({ state: Type.String(), releaseAt: Type.String() }),
            ...errors(400, 401, 403, 404, 409, 415),
          },
        },
      },
      async (request) => {
        const { action, reason } = request.body;
        const result = await onCase(deps, request, 'case.release', (trx, theCase) =>
          action === 'cancel'
            ? cancelRelease(trx, deps, { ...by(request, theCase), reason: reason ?? '' })
            : releaseNow(trx, deps, { ...by(request, theCase), reason: reason ?? null }),
        );
        deps.wakeWorker();
        return { state: result.state, releaseAt: result.releaseAt };
      },
    );

    app.get(
      '/api/v1/projects/:slug/cases/:number/retrospective',
      {
        schema: {
          summary: "A case's retrospective (drafted after the release)",
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: Type.Object({ retrospective: Retrospective }), ...errors(401, 403, 404) },
        },
      },
      (request) =>
        onCase(deps, request, 'project.view', async (trx, theCase) => {
          const retrospective = await getRetrospective(trx, theCase.id);
          if (!retrospective) throw new DomainError('NOT_FOUND', 'The retrospective is drafted after the release.');
          return { retrospective };
        }),
    );

    app.put(
      '/api/v1/projects/:slug/cases/:number/retrospective',
      {
        schema: {
          summary: "Replace the text of a case's retrospective",
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Type.Object({ body: Type.String({ maxLength: 50_000 }) }, { additionalProperties: false }),
          response: { 200: Type.Object({ retrospective: Retrospective }), ...errors(400, 401, 403, 404, 415) },
        },
      },
      (request) =>
        onCase(deps, request, 'case.retrospective.edit', async (trx, theCase) => ({
          retrospective: await saveRetrospective(trx, deps, { ...by(request, theCase), body: request.body.body }),
        })),
    );
  };
}
