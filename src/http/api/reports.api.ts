import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { submitReport } from '../../domain/reports/intake.service.js';
import { LIMITS } from '../../domain/reports/intake-input.js';
import { statusUrl } from '../../domain/reports/links.js';
import { authorize } from '../../policies/policy.js';
import { attachmentBodyLimit, decodeAttachments, requireJson } from './api-input.js';
import { AttachmentUpload, errors, StatusSchema } from './schemas.js';

const NewReport = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: LIMITS.title }),
    description: Type.String({ minLength: 1, maxLength: LIMITS.description, description: 'Markdown.' }),
    affectedVersions: Type.Optional(Type.String({ maxLength: LIMITS.affectedVersions })),
    reproduction: Type.Optional(Type.String({ maxLength: LIMITS.reproduction, description: 'Markdown.' })),
    impact: Type.Optional(Type.String({ maxLength: LIMITS.impact, description: 'Markdown.' })),
    reporterName: Type.Optional(Type.String({ maxLength: LIMITS.reporterName })),
    reporterEmail: Type.Optional(Type.String({ maxLength: LIMITS.reporterEmail })),
    credit: Type.Optional(Type.Union([Type.Literal('name'), Type.Literal('anonymous'), Type.Literal('none')])),
    attachments: Type.Optional(Type.Array(AttachmentUpload, { description: 'At most 5 files of 10 MB each.' })),
  },
  { additionalProperties: false },
);

/**
 * Report intake over JSON. No cookies are read under /api/, so there is no CSRF token either; the
 * answer carries the private status URL, the only time the API returns it.
 */
export function reportsApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    // TypeBox checks as written: no type coercion and no silent removal of unknown properties.
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);

    app.post(
      '/api/v1/projects/:slug/reports',
      {
        bodyLimit: attachmentBodyLimit(deps.config),
        schema: {
          summary: 'Submit a vulnerability report',
          tags: ['reports'],
          params: Type.Object({ slug: Type.String() }),
          body: NewReport,
          response: {
            201: Type.Object({
              id: Type.String(),
              trackingId: Type.String(),
              status: StatusSchema,
              statusUrl: Type.String({ description: 'The private status URL; returned only here, keep it secret.' }),
            }),
            ...errors(400, 404, 413, 415, 429),
          },
        },
      },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'report.submit', { projectId: project.id });
        const { attachments, ...fields } = request.body;
        const files = decodeAttachments(attachments);
        const { report, statusToken } = await deps.db
          .transaction()
          .execute((trx) =>
            submitReport(
              trx,
              deps,
              { ...fields, attachments: files },
              { projectSlug: project.slug, source: 'api', origin: request.origin },
            ),
          );
        deps.wakeWorker();
        return reply.code(201).send({
          id: report.id,
          trackingId: report.trackingId,
          status: report.status,
          statusUrl: statusUrl(deps.config, statusToken),
        });
      },
    );
  };
}
