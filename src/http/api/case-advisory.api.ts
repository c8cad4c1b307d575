import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { getAdvisory, saveAdvisoryMeta } from '../../domain/advisories/advisories.service.js';
import {
  advisoryRevisions,
  reviseAdvisory,
  withdrawAdvisory,
} from '../../domain/advisories/advisory-revisions.service.js';
import { assignCveId, recordRequestedCve, unassignCveId } from '../../domain/advisories/cve-ids.service.js';
import type { Case } from '../../domain/cases/cases.js';
import { renaming, revisionMeta, revisionText } from './advisory-input.js';
import { requireJson } from './api-input.js';
import { type CaseRequest, onCase } from './case-scope.js';
import { Advisory, AdvisoryBody } from './case-release.api.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';

// What a case's advisory says besides its text, over JSON: its other ids and references, its CVE
// id (from the CNA pool, or requested elsewhere), and once published, its revisions and withdrawal.
// The same services as the advisory page; every answer shows the advisory, so every one is an
// audited read of the case.

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});
const IdList = Type.Array(Type.String({ maxLength: 100 }), { maxItems: 20 });
const MetaBody = Type.Object(
  {
    aliases: Type.Optional(IdList),
    related: Type.Optional(IdList),
    references: Type.Optional(
      Type.Array(
        Type.Object(
          { type: Type.Optional(Type.String({ maxLength: 20 })), url: Type.String({ maxLength: 2000 }) },
          { additionalProperties: false },
        ),
        { maxItems: 50 },
      ),
    ),
  },
  { additionalProperties: false },
);
const CveId = Type.String({ maxLength: 30, description: 'CVE-YYYY-NNNN...' });
const Revision = Type.Object({
  number: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  summary: Type.String({ description: 'What changed, in one line.' }),
  by: Type.String(),
  withdrawn: Type.Boolean(),
  publicUrl: Type.String({ description: 'The public page of the advisory.' }),
});
const AdvisoryAnswer = Type.Object({ advisory: Advisory });

const tags = ['cases'];

export function caseAdvisoryApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);

    const by = (request: CaseRequest, theCase: Case) => ({ actor: request.actor, origin: request.origin, theCase });
    const base = '/api/v1/projects/:slug/cases/:number/advisory';

    app.put(
      `${base}/meta`,
      {
        schema: {
          summary: "Replace a draft advisory's other ids and references",
          description:
            'Aliases and related ids look like GHSA-xxxx-xxxx-xxxx or GO-2026-0001 (the CVE id has its own ' +
            'routes); a reference is an http(s) URL with an OSV reference type (WEB when left out). A published ' +
            'advisory changes by revision: 409 INVALID_TRANSITION.',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: MetaBody,
          response: { 200: AdvisoryAnswer, ...errors(400, 401, 403, 404, 409, 415) },
        },
      },
      async (request) => {
        const meta = revisionMeta(request.body, '');
        return onCase(deps, request, 'case.advisory.edit', async (trx, theCase) => ({
          advisory: await saveAdvisoryMeta(trx, deps, { ...by(request, theCase), meta }),
        }));
      },
    );

    app.post(
      `${base}/cve`,
      {
        schema: {
          summary: "Assign a CVE id of the project's pool to the case",
          description:
            'For a project that is a CNA. Without cveId, the lowest free id of the current year ' +
            '(409 CVE_POOL_EMPTY when none is left); with it, that id of the pool. An id the case held goes ' +
            'back to the pool. A project that is no CNA records the request instead (PUT .../cve-request).',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Type.Object({ cveId: Type.Optional(CveId) }, { additionalProperties: false }),
          response: { 200: AdvisoryAnswer, ...errors(400, 401, 403, 404, 409, 415) },
        },
      },
      (request) =>
        onCase(deps, request, 'case.advisory.edit', async (trx, theCase) => {
          await assignCveId(trx, deps, {
            ...by(request, theCase),
            ...(request.body.cveId ? { cveId: request.body.cveId } : {}),
          });
          return { advisory: await getAdvisory(trx, theCase) };
        }),
    );

    app.delete(
      `${base}/cve`,
      {
        schema: {
          summary: "Take the CVE id off a case's draft advisory",
          description: 'A pool id goes back to the pool. A published advisory is refused (409 INVALID_TRANSITION).',
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: AdvisoryAnswer, ...errors(401, 403, 404, 409) },
        },
      },
      (request) =>
        onCase(deps, request, 'case.advisory.edit', async (trx, theCase) => {
          await unassignCveId(trx, deps, by(request, theCase));
          return { advisory: await getAdvisory(trx, theCase) };
        }),
    );

    app.put(
      `${base}/cve-request`,
      {
        schema: {
          summary: 'Record whom the CVE id was requested from, and the id once it arrives',
          description:
            'For a project that is no CNA (for example "GitHub" or "MITRE"). cveId null or left out: awaited. ' +
            'An id of a CNA pool is refused (409 CONFLICT).',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Type.Object(
            {
              requestedFrom: Type.String({ maxLength: 200 }),
              cveId: Type.Optional(Type.Union([CveId, Type.Null()])),
            },
            { additionalProperties: false },
          ),
          response: { 200: AdvisoryAnswer, ...errors(400, 401, 403, 404, 409, 415) },
        },
      },
      (request) =>
        onCase(deps, request, 'case.advisory.edit', async (trx, theCase) => {
          await recordRequestedCve(trx, deps, {
            ...by(request, theCase),
            requestedFrom: request.body.requestedFrom,
            cveId: request.body.cveId ?? null,
          });
          return { advisory: await getAdvisory(trx, theCase) };
        }),
    );

    app.get(
      `${base}/revisions`,
      {
        schema: {
          summary: 'The revisions of a published advisory, oldest first',
          description: 'Empty while the advisory is a draft.',
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: Type.Object({ revisions: Type.Array(Revision) }), ...errors(401, 403, 404) },
        },
      },
      (request) =>
        onCase(deps, request, 'case.read', async (trx, theCase, project) => ({
          revisions: (await advisoryRevisions(trx, theCase.id)).map((r) => ({
            number: r.number,
            at: r.at,
            summary: r.summary,
            by: r.actorLabel,
            withdrawn: r.record.withdrawn !== null,
            publicUrl: new URL(`/p/${project.slug}/advisories/${r.record.id}`, deps.config.publicUrl).toString(),
          })),
        })),
    );

    app.post(
      `${base}/revisions`,
      {
        schema: {
          summary: 'Publish a new revision of a published advisory',
          description:
            'summary says in one line what changed. text (the whole text, as PUT .../advisory takes it) and meta ' +
            '(as PUT .../advisory/meta) replace what the advisory says; left out, they stay. cveId adds a CVE id ' +
            'that came after publication. The public record is rebuilt from the case as it stands (versions, ' +
            'scores), its modified date and revision bumped. A draft or a withdrawn advisory: 409 INVALID_TRANSITION.',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Type.Object(
            {
              summary: Type.String({ maxLength: 300 }),
              text: Type.Optional(AdvisoryBody),
              meta: Type.Optional(MetaBody),
              cveId: Type.Optional(CveId),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({ advisory: Advisory, revision: Type.Integer() }),
            ...errors(400, 401, 403, 404, 409, 415),
          },
        },
      },
      async (request, reply) => {
        const { summary, cveId } = request.body;
        const text = request.body.text === undefined ? undefined : revisionText(request.body.text, 'text');
        const meta = request.body.meta === undefined ? undefined : revisionMeta(request.body.meta, 'meta');
        const advisory = await onCase(deps, request, 'case.advisory.revise', async (trx, theCase) => {
          await reviseAdvisory(trx, deps, {
            ...by(request, theCase),
            summary,
            ...(text ? { text } : {}),
            ...(meta ? { meta } : {}),
            ...(cveId ? { cveId } : {}),
          });
          return getAdvisory(trx, theCase);
        });
        deps.wakeWorker();
        return reply.status(201).send({ advisory, revision: advisory.revision });
      },
    );

    app.post(
      `${base}/withdraw`,
      {
        schema: {
          summary: 'Withdraw a published advisory',
          description:
            'A last revision: the page stays, and every format says the advisory was withdrawn, with the reason ' +
            '(one line). A draft, or an advisory withdrawn already: 409 INVALID_TRANSITION.',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Type.Object({ reason: Type.String({ maxLength: 300 }) }, { additionalProperties: false }),
          response: { 200: AdvisoryAnswer, ...errors(400, 401, 403, 404, 409, 415) },
        },
      },
      async (request) => {
        // The reason is checked as a revision's summary is, and named after the field it came in.
        const advisory = await renaming('summary', 'reason', () =>
          onCase(deps, request, 'case.advisory.revise', async (trx, theCase) => {
            await withdrawAdvisory(trx, deps, { ...by(request, theCase), reason: request.body.reason });
            return getAdvisory(trx, theCase);
          }),
        );
        deps.wakeWorker();
        return { advisory };
      },
    );
  };
}
