import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { LIMITS } from '../../domain/reports/intake-input.js';
import { isCloseReason, statusLabel } from '../../domain/reports/report-state.js';
import {
  addReporterMessage,
  getReporterView,
  type ReporterView,
  readReporterAttachment,
  reporterActor,
  reportForToken,
} from '../../domain/reports/reporter.service.js';
import { authorize } from '../../policies/policy.js';
import { sendAttachment } from '../pages/download.js';
import { attachmentBodyLimit, decodeAttachments, requireJson } from './api-input.js';
import { AttachmentInfo, AttachmentUpload, CloseReasonSchema, errors, Nullable, StatusSchema } from './schemas.js';

const ReporterViewJson = Type.Object({
  trackingId: Type.String(),
  project: Type.Object({ slug: Type.String(), name: Type.String() }),
  status: StatusSchema,
  statusLabel: Type.String(),
  closeReason: Type.Union([CloseReasonSchema, Type.Null()]),
  receivedAt: Type.String({ format: 'date-time' }),
  ackDueAt: Type.String({ format: 'date-time' }),
  acknowledgedAt: Nullable(Type.String({ format: 'date-time' })),
  closedAt: Nullable(Type.String({ format: 'date-time' })),
  report: Type.Object({
    title: Type.String(),
    description: Type.String(),
    affectedVersions: Nullable(Type.String()),
    reproduction: Nullable(Type.String()),
    impact: Nullable(Type.String()),
    reporterName: Nullable(Type.String()),
    reporterEmail: Nullable(Type.String()),
    credit: Type.String(),
  }),
  entries: Type.Array(
    Type.Object({
      id: Type.String(),
      kind: Type.String({ description: 'submitted, message or status' }),
      author: Type.String({ description: 'reporter, team or system (team members are not named)' }),
      body: Nullable(Type.String()),
      statusFrom: Type.Union([StatusSchema, Type.Null()]),
      statusTo: Type.Union([StatusSchema, Type.Null()]),
      closeReason: Type.Union([CloseReasonSchema, Type.Null()]),
      createdAt: Type.String({ format: 'date-time' }),
      attachments: Type.Array(AttachmentInfo),
    }),
  ),
});

/** The reporter's view as JSON: public entries only, every field named (the schema drops the rest). */
function present(view: ReporterView): Static<typeof ReporterViewJson> {
  const { report, project } = view;
  return {
    trackingId: report.trackingId,
    project: { slug: project.slug, name: project.name },
    status: report.status,
    statusLabel: statusLabel(report.status),
    closeReason: report.status === 'closed' ? report.closeReason : null,
    receivedAt: report.receivedAt,
    ackDueAt: report.ackDueAt,
    acknowledgedAt: report.acknowledgedAt,
    closedAt: report.closedAt,
    report: {
      title: report.title,
      description: report.description,
      affectedVersions: report.affectedVersions,
      reproduction: report.reproduction,
      impact: report.impact,
      reporterName: report.reporterName,
      reporterEmail: report.reporterEmail,
      credit: report.credit,
    },
    entries: view.entries.map((e) => {
      const reason = e.detail?.closeReason;
      return {
        id: e.id,
        kind: e.kind,
        author: e.authorKind,
        body: e.body,
        statusFrom: e.statusFrom,
        statusTo: e.statusTo,
        closeReason: typeof reason === 'string' && isCloseReason(reason) ? reason : null,
        createdAt: e.createdAt,
        attachments: e.attachments,
      };
    }),
  };
}

const NewMessage = Type.Object(
  {
    body: Type.String({ minLength: 1, maxLength: LIMITS.message, description: 'Markdown.' }),
    attachments: Type.Optional(Type.Array(AttachmentUpload, { description: 'At most 5 files of 10 MB each.' })),
  },
  { additionalProperties: false },
);
const TokenParams = Type.Object({ token: Type.String({ description: 'The secret token of the status URL.' }) });

/** The reporter's status over JSON; the token in the path is the credential (no cookies under /api/). */
export function statusApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    // TypeBox checks as written: no type coercion and no silent removal of unknown properties.
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);

    app.get(
      '/api/v1/status/:token',
      {
        schema: {
          summary: "The reporter's view of a report",
          tags: ['status'],
          params: TokenParams,
          response: { 200: ReporterViewJson, ...errors(404) },
        },
      },
      async (request) => {
        const view = await getReporterView(deps.db, request.params.token);
        const subject = { projectId: view.report.projectId, reportId: view.report.id };
        authorize(reporterActor(view.report), 'report.status.read', subject);
        return present(view);
      },
    );

    app.post(
      '/api/v1/status/:token/messages',
      {
        bodyLimit: attachmentBodyLimit(deps.config),
        // A wrong link is refused before its body (up to ~70 MB of base64) is read.
        onRequest: async (request) => {
          await reportForToken(deps.db, request.params.token);
        },
        schema: {
          summary: 'Write to the security team',
          tags: ['status'],
          params: TokenParams,
          body: NewMessage,
          response: {
            201: Type.Object({ entryId: Type.String(), status: StatusSchema }),
            ...errors(400, 404, 409, 413, 415, 429),
          },
        },
      },
      async (request, reply) => {
        const { token } = request.params;
        const report = await reportForToken(deps.db, token);
        authorize(reporterActor(report), 'report.status.reply', { projectId: report.projectId, reportId: report.id });
        const files = decodeAttachments(request.body.attachments);
        const result = await deps.db.transaction().execute((trx) =>
          addReporterMessage(trx, deps, {
            token,
            body: request.body.body,
            attachments: files,
            origin: request.origin,
          }),
        );
        deps.wakeWorker();
        return reply.code(201).send({ entryId: result.entryId, status: result.report.status });
      },
    );

    app.get(
      '/api/v1/status/:token/attachments/:id',
      {
        schema: {
          summary: 'Download an attachment, always as application/octet-stream',
          tags: ['status'],
          params: Type.Object({ token: Type.String(), id: Type.String() }),
          response: { 200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary' }), ...errors(404) },
        },
      },
      async (request, reply) => {
        const report = await reportForToken(deps.db, request.params.token);
        authorize(reporterActor(report), 'report.status.read', { projectId: report.projectId, reportId: report.id });
        const { meta, content } = await readReporterAttachment(deps.db, report, request.params.id);
        return sendAttachment(reply, { filename: meta.filename, content });
      },
    );
  };
}
