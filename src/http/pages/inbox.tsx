import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { INBOX_FILTERS, type Inbox, type InboxFilter, viewInbox } from '../../domain/reports/inbox.service.js';
import { closeReasonLabel, statusLabel } from '../../domain/reports/report-state.js';
import { authorize, can } from '../../policies/policy.js';
import { AckClockText } from '../views/ack-clock.js';
import { when } from '../views/time.js';
import { requireSignIn } from './require-user.js';

const Params = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) });
const Query = Type.Object({
  status: Type.Optional(Type.Union(INBOX_FILTERS.map((f) => Type.Literal(f)))),
});

function tabLabel(filter: InboxFilter): string {
  switch (filter) {
    case 'open':
      return 'Open';
    case 'all':
      return 'All';
    case 'new':
      return 'New';
    case 'needs_info':
      return 'Needs info';
    default:
      return statusLabel(filter);
  }
}

function Tabs({ project, inbox }: { project: Project; inbox: Inbox }) {
  return (
    <nav class="filters" aria-label="Filter by state">
      {INBOX_FILTERS.map((f) => (
        <a
          key={f}
          href={`/p/${project.slug}/inbox?status=${f}`}
          class={f === inbox.filter ? 'active' : undefined}
          aria-current={f === inbox.filter ? 'page' : undefined}
        >
          {tabLabel(f)} ({inbox.counts[f]})
        </a>
      ))}
    </nav>
  );
}

function InboxTable({ project, inbox }: { project: Project; inbox: Inbox }) {
  if (inbox.items.length === 0) return <p class="muted">No reports here.</p>;
  return (
    <table class="inbox">
      <thead>
        <tr>
          <th>Report</th>
          <th>Title</th>
          <th>State</th>
          <th>Received</th>
          <th>Acknowledgement</th>
        </tr>
      </thead>
      <tbody>
        {inbox.items.map((item) => (
          <tr key={item.id}>
            <td>
              <code>{item.trackingId}</code>
            </td>
            <td>
              <a href={`/p/${project.slug}/reports/${item.id}`}>{item.title}</a>
            </td>
            <td>
              <span class={`badge state-${item.status}`}>{statusLabel(item.status)}</span>
              {item.closeReason ? <span class="muted"> {closeReasonLabel(item.closeReason)}</span> : null}
            </td>
            <td>{when(item.receivedAt)}</td>
            <td>
              <AckClockText clock={item.ackClock} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The project's inbox: its reports, most urgent first, with their acknowledgement clocks. */
export function inboxPages(deps: Deps) {
  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();

    app.get(
      '/p/:slug/inbox',
      { schema: { params: Params, querystring: Query }, preHandler: requireSignIn },
      async (request, reply) => {
        const actor = request.actor;
        const project = await requireProject(deps.db, request.params.slug);
        authorize(actor, 'project.view', { projectId: project.id });
        const inbox = await deps.db.transaction().execute((trx) =>
          viewInbox(trx, deps, {
            actor,
            origin: request.origin,
            projectId: project.id,
            status: request.query.status ?? 'open',
          }),
        );
        return reply.page(
          <section>
            <h1>{project.name}: inbox</h1>
            <p class="muted">
              Acknowledgement target: {project.ackTargetHours} h.{' '}
              <a href={`/p/${project.slug}/mail/inbound`}>Mail received</a>{' '}
              <a href={`/p/${project.slug}/dependencies`}>Dependencies</a>{' '}
              {can(actor, 'case.import', { projectId: project.id }) ? (
                <>
                  <a href={`/p/${project.slug}/cases/import`}>Import an advisory</a>{' '}
                </>
              ) : null}
              {can(actor, 'project.manage', { projectId: project.id }) ? (
                <>
                  <a href={`/p/${project.slug}/settings`}>Settings</a>{' '}
                </>
              ) : null}
              {can(actor, 'project.audit.read', { projectId: project.id }) ? (
                <a href={`/p/${project.slug}/audit`}>Audit log</a>
              ) : null}
            </p>
            <Tabs project={project} inbox={inbox} />
            <InboxTable project={project} inbox={inbox} />
            {inbox.truncated ? <p class="muted">Only the first {inbox.items.length} reports are listed.</p> : null}
          </section>,
          { title: `Inbox · ${project.name}` },
        );
      },
    );
  };
}
