import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { getProjectKey } from '../../domain/pgp/pgp-keys.service.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { submitReport } from '../../domain/reports/intake.service.js';
import { statusUrl } from '../../domain/reports/links.js';
import { DomainError, type ErrorCode } from '../../errors.js';
import { authorize } from '../../policies/policy.js';
import { statusOf } from '../plugins/errors.js';
import { acceptMultipart, optional, readSubmittedForm } from './multipart-form.js';
import { Confirmation, type FormValues, ReportForm, TEXT_FIELDS } from './report-form-view.js';

/** Errors the reporter can fix on the form itself; they see it again with their text kept. */
const FORM_ERRORS: readonly ErrorCode[] = [
  'VALIDATION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_ATTACHMENTS',
  'RATE_LIMITED',
];

/** The public report form: GET shows it, POST files the report and shows the private link once. */
export function reportFormPages(deps: Deps) {
  return async (app: FastifyInstance): Promise<void> => {
    await acceptMultipart(app, deps.config);

    app.get<{ Params: { slug: string } }>('/p/:slug/report', async (request, reply) => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'report.submit', { projectId: project.id });
      const pgpFingerprint = (await getProjectKey(deps.db, project.id))?.fingerprint;
      const form = (
        <ReportForm
          project={project}
          values={{}}
          csrfToken={request.csrfToken()}
          config={deps.config}
          pgpFingerprint={pgpFingerprint}
        />
      );
      return reply.page(form, { title: `Report a vulnerability in ${project.name}` });
    });

    app.post<{ Params: { slug: string } }>('/p/:slug/report', async (request, reply) => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'report.submit', { projectId: project.id });
      let values: FormValues = {};
      try {
        const { fields, files } = readSubmittedForm(request);
        values = Object.fromEntries(TEXT_FIELDS.map((name) => [name, fields[name] ?? '']));
        const { report, statusToken } = await deps.db.transaction().execute((trx) =>
          submitReport(
            trx,
            deps,
            {
              title: fields.title ?? '',
              description: fields.description ?? '',
              affectedVersions: optional(fields, 'affectedVersions'),
              reproduction: optional(fields, 'reproduction'),
              impact: optional(fields, 'impact'),
              reporterName: optional(fields, 'reporterName'),
              reporterEmail: optional(fields, 'reporterEmail'),
              credit: optional(fields, 'credit'),
              honeypot: fields.website ?? null,
              attachments: files,
            },
            { projectSlug: project.slug, source: 'web', origin: request.origin },
          ),
        );
        deps.wakeWorker();
        // The link is a credential shown once: no cache may keep this page.
        reply.header('cache-control', 'no-store, private').header('pragma', 'no-cache');
        const page = (
          <Confirmation project={project} trackingId={report.trackingId} link={statusUrl(deps.config, statusToken)} />
        );
        return reply.page(page, { title: 'Report received' });
      } catch (err) {
        if (!(err instanceof DomainError) || !FORM_ERRORS.includes(err.code)) throw err;
        const retry = err.details?.retryAfterSeconds;
        if (typeof retry === 'number') reply.header('retry-after', String(retry));
        const field = typeof err.details?.field === 'string' ? err.details.field : undefined;
        const form = (
          <ReportForm
            project={project}
            values={values}
            csrfToken={request.csrfToken()}
            config={deps.config}
            error={{ code: err.code, message: err.message, field }}
            pgpFingerprint={(await getProjectKey(deps.db, project.id))?.fingerprint}
          />
        );
        return reply.page(form, { title: `Report a vulnerability in ${project.name}`, status: statusOf[err.code] });
      }
    });
  };
}
