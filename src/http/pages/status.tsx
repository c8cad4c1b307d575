import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import type { ReporterView } from '../../domain/reports/reporter.service.js';
import {
  addReporterMessage,
  getReporterView,
  readReporterAttachment,
  reporterActor,
  reportForToken,
} from '../../domain/reports/reporter.service.js';
import { DomainError, type ErrorCode } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { statusOf } from '../plugins/errors.js';
import { sendAttachment } from './download.js';
import { acceptMultipart, readSubmittedForm } from './multipart-form.js';
import { StatusPage } from './status-view.js';

/** Errors shown on the status page itself, with the reporter's draft kept. */
const REPLY_ERRORS: readonly ErrorCode[] = [
  'VALIDATION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_ATTACHMENTS',
  'REPLIES_CLOSED',
  'RATE_LIMITED',
];

type TokenRoute = { Params: { token: string } };
type TokenRequest = FastifyRequest<TokenRoute>;

function render(
  request: TokenRequest,
  reply: FastifyReply,
  view: ReporterView,
  extra: { error?: { code: ErrorCode; message: string }; draft?: string } = {},
) {
  const page = <StatusPage view={view} token={request.params.token} csrfToken={request.csrfToken()} {...extra} />;
  return reply.page(page, {
    title: `Report ${view.report.trackingId}`,
    status: extra.error ? statusOf[extra.error.code] : undefined,
  });
}

/**
 * The reporter's private status page, reached only through the secret link. There is no audit of
 * these views: the reporter reads their own report, and the log is the team's record.
 */
export function statusPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    await acceptMultipart(app, deps.config);

    app.get<{ Params: { token: string } }>('/status/:token', async (request, reply) => {
      const view = await getReporterView(deps.db, request.params.token);
      const subject = { projectId: view.report.projectId, reportId: view.report.id };
      authorize(reporterActor(view.report), 'report.status.read', subject);
      return render(request, reply, view);
    });

    // A wrong link is refused before its body (up to 50 MB of files) is read.
    const knownToken = async (request: TokenRequest) => {
      await reportForToken(deps.db, request.params.token);
    };

    app.post<TokenRoute>('/status/:token/messages', { onRequest: knownToken }, async (request, reply) => {
      const { token } = request.params;
      const before = await getReporterView(deps.db, token);
      const subject = { projectId: before.report.projectId, reportId: before.report.id };
      authorize(reporterActor(before.report), 'report.status.reply', subject);
      let draft = '';
      try {
        const { fields, files } = readSubmittedForm(request);
        draft = fields.body ?? '';
        await deps.db
          .transaction()
          .execute((trx) =>
            addReporterMessage(trx, deps, { token, body: draft, attachments: files, origin: request.origin }),
          );
      } catch (err) {
        if (!(err instanceof DomainError) || !REPLY_ERRORS.includes(err.code)) throw err;
        const retry = err.details?.retryAfterSeconds;
        if (typeof retry === 'number') reply.header('retry-after', String(retry));
        return render(request, reply, before, { error: { code: err.code, message: err.message }, draft });
      }
      deps.wakeWorker();
      return reply.redirect(`/status/${token}#latest`, 303);
    });

    // Files are the reporter's or the team's uploads: never rendered by the browser, only saved.
    app.get<{ Params: { token: string; id: string } }>('/status/:token/attachments/:id', {}, async (request, reply) => {
      const report = await reportForToken(deps.db, request.params.token);
      authorize(reporterActor(report), 'report.status.read', { projectId: report.projectId, reportId: report.id });
      const { meta, content } = await readReporterAttachment(deps.db, report, request.params.id);
      return sendAttachment(reply, { filename: meta.filename, content });
    });
  };
}
