import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import {
  type InboundCursor,
  type InboundListing,
  type InboundMessage,
  listInboundMessages,
  readInboundRaw,
  reprocessInbound,
} from '../../domain/mail-intake/inbound-mail.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { DomainError } from '../../errors.js';
import { authorize, can } from '../../policies/policy.js';
import { CsrfField } from '../views/layout.js';
import { when } from '../views/time.js';
import { sendAttachment } from './download.js';
import { requireSignIn } from './require-user.js';

const Slug = Type.String({ minLength: 1, maxLength: 64 });
const Id = Type.String({ minLength: 1, maxLength: 64 });
const ListParams = Type.Object({ slug: Slug });
const Cursor = Type.Optional(Type.String({ maxLength: 120 }));
const ListQuery = Type.Object({ before: Cursor, quarantinedBefore: Cursor });
const MessageParams = Type.Object({ slug: Slug, id: Id });

const STATUS_LABELS: Record<InboundMessage['status'], string> = {
  received: 'Waiting',
  processed: 'Filed',
  ignored: 'Ignored',
  quarantined: 'Quarantined',
};

// A cursor is `<receivedAt>_<id>` of the last message on the previous page.
function parseCursor(raw: string | undefined): InboundCursor | undefined {
  if (!raw) return undefined;
  const match = /^(\d{4}-\d\d-\d\dT[\d:.]+Z)_([A-Za-z0-9-]+)$/.exec(raw);
  if (!match?.[1] || !match[2]) throw new DomainError('VALIDATION_FAILED', 'The page cursor is malformed.');
  return { receivedAt: match[1], id: match[2] };
}

function pageLink(base: string, name: 'before' | 'quarantinedBefore', cursor: InboundCursor | null): string | null {
  return cursor ? `${base}?${name}=${encodeURIComponent(`${cursor.receivedAt}_${cursor.id}`)}` : null;
}

function size(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
    : `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

function MessageRow(props: { m: InboundMessage; project: Project; csrf: string; canReprocess: boolean }) {
  const { m, project } = props;
  const base = `/p/${project.slug}/mail/inbound/${m.id}`;
  return (
    <tr id={`inbound-${m.id}`}>
      <td>{when(m.receivedAt)}</td>
      <td>
        <span class={`badge inbound-${m.status}`}>{STATUS_LABELS[m.status]}</span>
      </td>
      <td>
        {m.from ?? '(not kept)'}
        <span class="muted inbound-envelope">
          envelope: {m.envelopeFrom ?? '<>'} → {m.recipients.join(', ')} · {m.source} · {size(m.size)}
        </span>
      </td>
      <td>{m.subject ?? (m.status === 'processed' ? '(see the report)' : '(no subject)')}</td>
      <td>
        {m.stalled ? 'Processing failed on every attempt and stopped.' : (m.reason ?? '')}
        {m.reportId ? (
          <>
            {' '}
            <a href={`/p/${project.slug}/reports/${m.reportId}`}>Open the report</a>
          </>
        ) : null}
      </td>
      <td>
        {m.status !== 'processed' ? (
          <a href={`${base}/raw`} download>
            Download
          </a>
        ) : null}
        {(m.status === 'quarantined' || m.stalled) && props.canReprocess ? (
          <form method="post" action={`${base}/reprocess`} class="inline">
            <CsrfField token={props.csrf} />
            <button type="submit" class="secondary">
              Process again
            </button>
          </form>
        ) : null}
      </td>
    </tr>
  );
}

function MessageTable(props: {
  id: string;
  messages: InboundMessage[];
  project: Project;
  csrf: string;
  canReprocess: boolean;
}) {
  return (
    <table class="inbound-mail" id={props.id}>
      <thead>
        <tr>
          <th>Received</th>
          <th>Status</th>
          <th>From</th>
          <th>Subject</th>
          <th>Outcome</th>
          <th>Message</th>
        </tr>
      </thead>
      <tbody>
        {props.messages.map((m) => (
          <MessageRow key={m.id} m={m} project={props.project} csrf={props.csrf} canReprocess={props.canReprocess} />
        ))}
      </tbody>
    </table>
  );
}

function InboundPage(props: { project: Project; listing: InboundListing; csrf: string; canReprocess: boolean }) {
  const { project, listing } = props;
  const base = `/p/${project.slug}/mail/inbound`;
  const table = { project, csrf: props.csrf, canReprocess: props.canReprocess };
  const olderQuarantined = pageLink(base, 'quarantinedBefore', listing.quarantinedOlder);
  const older = pageLink(base, 'before', listing.older);
  return (
    <section>
      <nav class="tabs">
        <a href={`/p/${project.slug}/inbox`}>Inbox</a>
        <a href={`/p/${project.slug}/mail`}>Mail sent</a>
        <a href={`/p/${project.slug}/mail/inbound`} aria-current="page">
          Mail received
        </a>
      </nav>
      <h1>Mail received by {project.name}</h1>
      <p class="muted">
        Mail to the project's intake addresses becomes reports, and answers to a report land on its conversation.
        Auto-replies, bounces and bulk mail are ignored; a message that could not be read or filed waits here in
        quarantine, whole, until someone processes it again.
      </p>
      <h2>Quarantine ({listing.quarantinedTotal})</h2>
      {listing.quarantined.length === 0 ? (
        <p class="muted">Nothing in quarantine.</p>
      ) : (
        <MessageTable id="quarantine" messages={listing.quarantined} {...table} />
      )}
      {olderQuarantined ? (
        <p>
          <a href={olderQuarantined}>Older quarantined mail</a>
        </p>
      ) : null}
      <h2>All mail</h2>
      {listing.messages.length === 0 ? (
        <p class="muted">No mail received yet.</p>
      ) : (
        <MessageTable id="all-mail" messages={listing.messages} {...table} />
      )}
      {older ? (
        <p>
          <a href={older}>Older mail</a>
        </p>
      ) : null}
    </section>
  );
}

/**
 * "Mail received" for a project's members: the quarantine on its own, then every inbound message
 * with its outcome (each paged), the raw message of those not filed (as a download, never rendered),
 * and "process again" for quarantined messages and those whose processing gave up.
 */
export function inboundMailPages(deps: Deps) {
  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    app.addHook('preHandler', requireSignIn);
    const by = (request: FastifyRequest) => ({ actor: request.actor, origin: request.origin });

    app.get(
      '/p/:slug/mail/inbound',
      { schema: { params: ListParams, querystring: ListQuery } },
      async (request, reply) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'project.view', { projectId: project.id });
        const before = parseCursor(request.query.before);
        const quarantinedBefore = parseCursor(request.query.quarantinedBefore);
        const listing = await deps.db
          .transaction()
          .execute((trx) =>
            listInboundMessages(trx, deps.clock, { by: by(request), projectId: project.id, before, quarantinedBefore }),
          );
        return reply.page(
          <InboundPage
            project={project}
            listing={listing}
            csrf={request.csrfToken()}
            canReprocess={can(request.actor, 'report.triage', { projectId: project.id })}
          />,
          { title: `Mail received · ${project.name}` },
        );
      },
    );

    app.get('/p/:slug/mail/inbound/:id/raw', { schema: { params: MessageParams } }, async (request, reply) => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'report.read', { projectId: project.id });
      const file = await deps.db
        .transaction()
        .execute((trx) =>
          readInboundRaw(trx, deps.clock, { by: by(request), projectId: project.id, inboundId: request.params.id }),
        );
      return sendAttachment(reply, file);
    });

    app.post('/p/:slug/mail/inbound/:id/reprocess', { schema: { params: MessageParams } }, async (request, reply) => {
      const project = await requireProject(deps.db, request.params.slug);
      authorize(request.actor, 'report.triage', { projectId: project.id });
      await deps.db
        .transaction()
        .execute((trx) =>
          reprocessInbound(trx, deps.clock, { by: by(request), projectId: project.id, inboundId: request.params.id }),
        );
      deps.wakeWorker();
      return reply.redirect(`/p/${project.slug}/mail/inbound`, 303);
    });
  };
}
