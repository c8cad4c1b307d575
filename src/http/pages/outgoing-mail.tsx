import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { recordAudit } from '../../domain/audit/audit.service.js';
import { listProjects, requireProject } from '../../domain/projects/projects.service.js';
import { DomainError } from '../../errors.js';
import type { OutboundEmail } from '../../mail/outbound-email.js';
import { type EmailCursor, forDisplay, getEmail, listEmails, retryFailedEmail } from '../../mail/outbox.js';
import { authorize, can } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { requireSignIn } from './require-user.js';

const PAGE_SIZE = 100;
const PROJECT_PAGE_SIZE = 50;

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const ListQuery = Type.Object({ before: Type.Optional(Type.String({ maxLength: 100 })) });

// The cursor is `<createdAt>_<id>` of the last email on the previous page.
function parseCursor(raw: string | undefined): EmailCursor | undefined {
  if (!raw) return undefined;
  const match = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)_([A-Za-z0-9-]+)$/.exec(raw);
  if (!match?.[1] || !match[2]) throw new DomainError('VALIDATION_FAILED', 'The page cursor is malformed.');
  return { createdAt: match[1], id: match[2] };
}

function olderLink(base: string, emails: OutboundEmail[], pageSize: number): string | null {
  const last = emails[emails.length - 1];
  return emails.length === pageSize && last
    ? `${base}?before=${encodeURIComponent(`${last.createdAt}_${last.id}`)}`
    : null;
}

function when(isoText: string | null): string {
  return isoText ? `${isoText.slice(0, 16).replace('T', ' ')} UTC` : '';
}

// Who wrote to which project is confidential to the project: without `mail.body.read` (an instance
// admin who is not a member) the recipient and the subject (project name and tracking id) are
// hidden, and so are addresses in the last error, which SMTP servers often quote ("550 <a@b>: ...").
const HIDDEN_TO = "(a project's reporter or team member)";
const HIDDEN_SUBJECT = '(project mail: subject hidden)';
const ADDRESS_LIKE = /[^\s<>()@"',;:]+@[^\s<>()@"',;:]+/g;

/** The email as an instance admin may see its headers: recipient and subject hidden unless `readable`. */
function headersShown(email: OutboundEmail, readable: boolean): OutboundEmail {
  if (readable) return email;
  return {
    ...email,
    to: HIDDEN_TO,
    subject: HIDDEN_SUBJECT,
    lastError: email.lastError?.replace(ADDRESS_LIKE, '(address hidden)') ?? null,
  };
}

function StatusBadge({ email }: { email: OutboundEmail }) {
  return <span class={`badge mail-${email.status}`}>{email.status}</span>;
}

function SmtpBanner({ stored }: { stored: boolean }) {
  return stored ? (
    <p class="notice error mail-banner">EMBARGO_SMTP_URL is not set: messages are kept here, not sent.</p>
  ) : null;
}

function MailTable({ emails, projects }: { emails: OutboundEmail[]; projects: Map<string, string> }) {
  if (emails.length === 0) return <p class="muted">No outgoing mail yet.</p>;
  return (
    <table class="mail-table">
      <thead>
        <tr>
          <th>Created</th>
          <th>Status</th>
          <th>To</th>
          <th>Subject</th>
          <th>Template</th>
          <th>Project</th>
          <th>Sent</th>
          <th>Attempts</th>
          <th>Last error</th>
        </tr>
      </thead>
      <tbody>
        {emails.map((e) => (
          <tr key={e.id}>
            <td>{when(e.createdAt)}</td>
            <td>
              <StatusBadge email={e} />
            </td>
            <td>{e.to}</td>
            <td>
              <a href={`/admin/mail/${e.id}`}>{e.subject}</a>
            </td>
            <td>{e.template}</td>
            <td>{e.projectId ? (projects.get(e.projectId) ?? 'unknown') : 'instance'}</td>
            <td>{when(e.sentAt)}</td>
            <td>{e.attempts}</td>
            <td class="mail-error">{e.lastError ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function MailBody({ email }: { email: OutboundEmail }) {
  const shown = forDisplay(email);
  return (
    <>
      <pre class="mail-body">{shown.text}</pre>
      <details>
        <summary>HTML version (source)</summary>
        <pre class="mail-body">{shown.html}</pre>
      </details>
    </>
  );
}

function MailDetail(props: {
  email: OutboundEmail;
  from: string;
  projectName: string | null;
  bodyVisible: boolean;
  csrfToken: string;
}) {
  const { email } = props;
  const rows: [string, string][] = [
    ['Message-ID', email.messageId],
    ['From', props.from],
    ['To', email.to],
    ['Subject', email.subject],
    ['Template', email.template],
    ['Project', props.projectName ?? 'instance'],
    ['Status', email.status],
    ['Created', when(email.createdAt)],
    ['Sent', when(email.sentAt)],
    ['Attempts', String(email.attempts)],
    ['Last error', email.lastError ?? ''],
  ];
  return (
    <section>
      <p>
        <a href="/admin/mail">All outgoing mail</a>
      </p>
      <h1>{email.subject}</h1>
      <table class="mail-headers">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {email.status === 'failed' ? (
        <form method="post" action={`/admin/mail/${email.id}/retry`}>
          <CsrfField token={props.csrfToken} />
          <button type="submit">Retry sending</button>
        </form>
      ) : null}
      <h2>Body</h2>
      {props.bodyVisible ? (
        <MailBody email={email} />
      ) : (
        <p class="notice">This email is about a project's reports: only members of {props.projectName} can read it.</p>
      )}
    </section>
  );
}

/**
 * "Outgoing mail": instance admins see every email's headers and delivery state (and retry failed
 * ones); bodies, which carry report activity and links, follow `mail.body.read`. Project members
 * read their project's mail at /p/:slug/mail. Every view of a body is audited.
 */
export function outgoingMailPages(deps: Deps) {
  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('preHandler', requireSignIn);

    app.get('/admin/mail', { schema: { querystring: ListQuery } }, async (request, reply) => {
      authorize(request.actor, 'instance.manage', { projectId: null });
      const emails = await listEmails(deps.db, { limit: PAGE_SIZE, before: parseCursor(request.query.before) });
      const shown = emails.map((e) =>
        headersShown(e, can(request.actor, 'mail.body.read', { projectId: e.projectId })),
      );
      const projects = new Map((await listProjects(deps.db)).map((p) => [p.id, p.name]));
      const older = olderLink('/admin/mail', emails, PAGE_SIZE);
      return reply.page(
        <section>
          <h1>Outgoing mail</h1>
          <SmtpBanner stored={deps.mail.kind === 'stored'} />
          <MailTable emails={shown} projects={projects} />
          {older ? (
            <p>
              <a href={older}>Older mail</a>
            </p>
          ) : null}
        </section>,
        { title: 'Outgoing mail' },
      );
    });

    app.get('/admin/mail/:id', { schema: { params: IdParams } }, async (request, reply) => {
      authorize(request.actor, 'instance.manage', { projectId: null });
      const email = await getEmail(deps.db, request.params.id);
      if (!email) throw new DomainError('NOT_FOUND');
      const projectName = email.projectId
        ? ((await listProjects(deps.db, { ids: [email.projectId] }))[0]?.name ?? 'a deleted project')
        : null;
      const bodyVisible = can(request.actor, 'mail.body.read', { projectId: email.projectId });
      if (bodyVisible) {
        await recordAudit(deps.db, deps.clock, {
          actor: request.actor,
          origin: request.origin,
          projectId: email.projectId,
          action: 'mail.body.viewed',
          subjectType: 'outbound_email',
          subjectId: email.id,
          detail: { template: email.template },
        });
      }
      return reply.page(
        <MailDetail
          email={headersShown(email, bodyVisible)}
          from={deps.config.mailFrom}
          projectName={projectName}
          bodyVisible={bodyVisible}
          csrfToken={request.csrfToken()}
        />,
        { title: 'Outgoing mail' },
      );
    });

    app.post('/admin/mail/:id/retry', { schema: { params: IdParams } }, async (request, reply) => {
      authorize(request.actor, 'instance.manage', { projectId: null });
      await deps.db.transaction().execute(async (trx) => {
        const email = await retryFailedEmail(trx, deps.clock, request.params.id);
        await recordAudit(trx, deps.clock, {
          actor: request.actor,
          origin: request.origin,
          projectId: email.projectId,
          action: 'mail.retried',
          subjectType: 'outbound_email',
          subjectId: email.id,
          detail: { template: email.template },
        });
      });
      deps.wakeWorker();
      return reply.redirect(`/admin/mail/${request.params.id}`, 303);
    });

    app.get(
      '/p/:slug/mail',
      { schema: { params: Type.Object({ slug: Type.String({ maxLength: 64 }) }), querystring: ListQuery } },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'project.view', { projectId: project.id });
        const emails = await listEmails(deps.db, {
          projectId: project.id,
          limit: PROJECT_PAGE_SIZE,
          before: parseCursor(request.query.before),
        });
        const bodyVisible = can(request.actor, 'mail.body.read', { projectId: project.id });
        if (bodyVisible && emails.length > 0) {
          await recordAudit(deps.db, deps.clock, {
            actor: request.actor,
            origin: request.origin,
            projectId: project.id,
            action: 'mail.body.viewed',
            subjectType: 'project_mail',
            subjectId: project.id,
            detail: { emailIds: emails.map((e) => e.id) },
          });
        }
        const older = olderLink(`/p/${project.slug}/mail`, emails, PROJECT_PAGE_SIZE);
        return reply.page(
          <section>
            <h1>Mail sent for {project.name}</h1>
            <SmtpBanner stored={deps.mail.kind === 'stored'} />
            {emails.length === 0 ? <p class="muted">No mail yet.</p> : null}
            {emails.map((e) => (
              <article key={e.id} class="mail-item">
                <h2>{e.subject}</h2>
                <p class="muted">
                  <StatusBadge email={e} /> To {e.to} · {e.template} · created {when(e.createdAt)}
                  {e.sentAt ? ` · sent ${when(e.sentAt)}` : ''} · {e.attempts} attempt{e.attempts === 1 ? '' : 's'}
                  {e.lastError ? ` · last error: ${e.lastError}` : ''}
                </p>
                {bodyVisible ? <MailBody email={e} /> : null}
              </article>
            ))}
            {older ? (
              <p>
                <a href={older}>Older mail</a>
              </p>
            ) : null}
          </section>,
          { title: `Mail · ${project.name}` },
        );
      },
    );
  };
}
