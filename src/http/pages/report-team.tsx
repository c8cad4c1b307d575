import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { ackClock } from '../../domain/reports/ack-clock.js';
import { ackDraft, getAttachmentForTeam, getReportForTeam } from '../../domain/reports/team-report.service.js';
import * as triage from '../../domain/reports/triage.service.js';
import { type ErrorCode, isDomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import { type Action, authorize, can } from '../../policies/policy.js';
import { statusOf, wantsJson } from '../plugins/errors.js';
import { AttachmentList, ReportHeader, Timeline } from '../views/team-report.js';
import { type FormFailure, type TriageForm, TriageForms } from '../views/triage-forms.js';
import { sendAttachment } from './download.js';
import { field } from './forms.js';
import { requireSignIn } from './require-user.js';

const Slug = Type.String({ minLength: 1, maxLength: 64 });
const Id = Type.String({ minLength: 1, maxLength: 64 });
const ReportParams = Type.Object({ slug: Slug, id: Id });
const AttachmentParams = Type.Object({ slug: Slug, id: Id, attachmentId: Id });

type Field = (name: string) => string;
type Run = (trx: Trx, deps: Deps, target: triage.TriageTarget, f: Field) => Promise<unknown>;

/** Each action form (POST /p/:slug/reports/:id/<form>): the policy it needs and the service it calls. */
const forms: Record<TriageForm, { policy: Action; run: Run }> = {
  acknowledge: {
    policy: 'report.triage',
    run: (trx, d, t, f) => triage.acknowledge(trx, d, { ...t, message: f('message') }),
  },
  'request-info': {
    policy: 'report.triage',
    run: (trx, d, t, f) => triage.requestInfo(trx, d, { ...t, message: f('message') }),
  },
  resume: { policy: 'report.triage', run: (trx, d, t, f) => triage.resume(trx, d, { ...t, message: f('message') }) },
  accept: { policy: 'report.triage', run: (trx, d, t, f) => triage.accept(trx, d, { ...t, message: f('message') }) },
  close: {
    policy: 'report.triage',
    run: (trx, d, t, f) =>
      triage.close(trx, d, { ...t, reason: f('reason'), duplicateOf: f('duplicateOf'), message: f('message') }),
  },
  reopen: { policy: 'report.triage', run: (trx, d, t, f) => triage.reopen(trx, d, { ...t, reason: f('reason') }) },
  message: {
    policy: 'report.message',
    run: (trx, d, t, f) => triage.sendMessage(trx, d, { ...t, message: f('message') }),
  },
  note: { policy: 'report.note', run: (trx, d, t, f) => triage.addNote(trx, d, { ...t, body: f('body') }) },
};

// Errors the user can act on from the same page; anything else (not found, forbidden) gets the error page.
const FORM_ERRORS: readonly ErrorCode[] = [
  'VALIDATION_FAILED',
  'INVALID_TRANSITION',
  'DUPLICATE_TARGET_INVALID',
  'CONFLICT',
];

/** The team's page for one report: every field, the whole timeline, and the allowed actions. */
export function teamReportPages(deps: Deps) {
  /** Renders the report page; each rendering shows embargoed content, so each is audited. */
  async function renderReport(
    request: FastifyRequest,
    reply: FastifyReply,
    options: { actor: Actor; project: Project; reportId: string; failed?: FormFailure },
  ) {
    const { actor, project } = options;
    const view = await deps.db.transaction().execute((trx) =>
      getReportForTeam(trx, deps, {
        actor,
        origin: request.origin,
        projectId: project.id,
        reportId: options.reportId,
      }),
    );
    const subject = { projectId: project.id, reportId: view.report.id };
    const base = `/p/${project.slug}/reports/${view.report.id}`;
    const inTimeline = new Set(view.entries.flatMap((e) => e.attachments.map((a) => a.id)));
    const otherFiles = view.attachments.filter((a) => !inTimeline.has(a.id));
    return reply.page(
      <article class="team-report">
        <ReportHeader view={view} slug={project.slug} clock={ackClock(view.report, deps.clock.now())} />
        {otherFiles.length > 0 ? (
          <>
            <h2>Attachments</h2>
            <AttachmentList files={otherFiles} base={base} />
          </>
        ) : null}
        <h2>Timeline</h2>
        <Timeline entries={view.entries} base={base} />
        <TriageForms
          base={base}
          csrfToken={request.csrfToken()}
          actions={can(actor, 'report.triage', subject) ? view.allowedActions : []}
          canMessage={can(actor, 'report.message', subject)}
          canNote={can(actor, 'report.note', subject)}
          ackDraft={ackDraft(project, view.report)}
          failed={options.failed}
        />
      </article>,
      {
        title: `${view.report.trackingId} · ${project.name}`,
        status: options.failed ? statusOf[options.failed.error.code] : undefined,
      },
    );
  }

  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const page = { schema: { params: ReportParams }, preHandler: requireSignIn };

    app.get('/p/:slug/reports/:id', page, async (request, reply) => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'report.read', { projectId: project.id });
      return renderReport(request, reply, { actor: request.actor, project, reportId: request.params.id });
    });

    for (const name of Object.keys(forms) as TriageForm[]) {
      const form = forms[name];
      app.post(`/p/:slug/reports/:id/${name}`, page, async (request, reply) => {
        const { actor, origin } = request;
        const project = await requireProject(deps.db, request.params.slug);
        authorize(actor, form.policy, { projectId: project.id });
        const f: Field = (n) => field(request.body, n);
        const target = { actor, origin, projectId: project.id, reportId: request.params.id };
        try {
          await deps.db.transaction().execute((trx) => form.run(trx, deps, target, f));
        } catch (err) {
          if (!isDomainError(err) || !FORM_ERRORS.includes(err.code) || wantsJson(request)) throw err;
          const values = { message: f('message'), reason: f('reason'), duplicateOf: f('duplicateOf'), body: f('body') };
          const failed = { form: name, error: err, values };
          return renderReport(request, reply, { actor, project, reportId: request.params.id, failed });
        }
        deps.wakeWorker();
        return reply.redirect(`/p/${project.slug}/reports/${encodeURIComponent(request.params.id)}`, 303);
      });
    }

    // Files come from reporters: only ever saved, never displayed as a page of this origin.
    app.get(
      '/p/:slug/reports/:id/attachments/:attachmentId',
      {
        schema: { params: AttachmentParams },
        preHandler: requireSignIn,
      },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'report.read', { projectId: project.id });
        const file = await deps.db.transaction().execute((trx) =>
          getAttachmentForTeam(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            projectId: project.id,
            reportId: request.params.id,
            attachmentId: request.params.attachmentId,
          }),
        );
        return sendAttachment(reply, file);
      },
    );
  };
}
