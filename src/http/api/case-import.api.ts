import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { importAdvisory, type ImportResult } from '../../domain/advisories/advisory-import.service.js';
import type { RequestOrigin } from '../../domain/audit/audit.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { readCve5 } from '../../formats/cve5-read.js';
import type { ImportedAdvisory } from '../../formats/imported-advisory.js';
import { readOsv } from '../../formats/osv-read.js';
import type { Actor } from '../../policies/actor.js';
import { authorize } from '../../policies/policy.js';
import { requireJson } from './api-input.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';

// Opening a case from an upstream advisory (an OSV or CVE JSON 5 record), over JSON; the import
// page reads the same way. The record is read (and refused whole when malformed) before any
// transaction, and the case is opened in one, so a failed import leaves nothing behind.

/** Reads the record in its format: VALIDATION_FAILED names the JSON path at fault. */
export function readImported(format: 'osv' | 'cve5', record: unknown, now: Date): ImportedAdvisory {
  return format === 'osv' ? readOsv(record) : readCve5(record, { receivedAt: now.toISOString() });
}

/** Opens the case from a record already read. */
export function openImported(
  deps: Deps,
  input: { actor: Actor; origin: RequestOrigin; project: Project; imported: ImportedAdvisory },
): Promise<ImportResult> {
  return deps.db.transaction().execute((trx) => importAdvisory(trx, deps, input));
}

export function caseImportApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);

    app.post(
      '/api/v1/projects/:slug/cases/import',
      {
        schema: {
          summary: 'Open a case from an upstream advisory (OSV or CVE JSON 5)',
          description:
            'The case gets the record’s packages and ranges (on no branch: the upstream’s branches are not the ' +
            'project’s), CVSS vectors, CWEs, an advisory draft with its credits, ids and references; a CVE id ' +
            'in the record becomes the case’s. What the case cannot hold is listed in warnings (and in the ' +
            'case history). A malformed record is refused whole, 400 VALIDATION_FAILED naming the JSON path.',
          tags: ['cases'],
          security: apiTokenRequired,
          params: Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) }),
          body: Type.Object(
            {
              format: Type.Union([Type.Literal('osv'), Type.Literal('cve5')]),
              record: Type.Record(Type.String(), Type.Unknown(), { description: 'The record, as JSON.' }),
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({
              number: Type.Integer({ description: 'The new case’s number in the project.' }),
              warnings: Type.Array(Type.String()),
            }),
            ...errors(400, 401, 403, 404, 413, 415),
          },
        },
      },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'case.import', { projectId: project.id });
        const imported = readImported(request.body.format, request.body.record, deps.clock.now());
        const result = await openImported(deps, {
          actor: request.actor,
          origin: request.origin,
          project,
          imported,
        });
        return reply.status(201).send({ number: result.theCase.number, warnings: result.warnings });
      },
    );
  };
}
