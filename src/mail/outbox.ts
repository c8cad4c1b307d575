import type { Clock } from '../clock.js';
import { iso } from '../clock.js';
import type { DbOrTrx, Trx } from '../db/types.js';
import type { Deps } from '../deps.js';
import { newId } from '../domain/ids.js';
import { DomainError } from '../errors.js';
import { enqueue } from '../domain/outbox/outbox.js';
import type { EmailEnvelope } from './emails.js';
import type { OutboundEmail } from './outbound-email.js';
import {
  findEmailRow,
  insertAttachmentRows,
  insertEmailRow,
  listEmailRows,
  requeueFailedEmail,
  toOutboundEmail,
} from './outbox.repository.js';
import { reporterMailAtQueue } from './reporter-thread.js';
import { renderEmail } from './templates/index.js';

/**
 * With the 30 s base and 1 h cap of the email.send handler, 12 attempts span about six hours:
 * long enough to ride out a mail server's maintenance, short enough that an admin hears of it the same day.
 */
export const EMAIL_MAX_ATTEMPTS = 12;

// One address, no display name, no line breaks (which would start another header).
const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/;
// A header name (RFC 5322 ftext) and a value on one line.
const HEADER_NAME = /^[!-9;-~]{1,76}$/;
const HEADER_VALUE = /^[^\r\n\0]{0,2000}$/;

function checkHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) {
      throw new DomainError('VALIDATION_FAILED', `The header ${name.slice(0, 40)} is not a single header line.`, {
        field: 'headers',
      });
    }
  }
}

/**
 * Renders an email and puts it in the outbox with its send job, in the caller's transaction: the
 * email exists, and will be sent, exactly when the change that caused it commits.
 */
export async function queueEmail(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  envelope: EmailEnvelope,
): Promise<string> {
  if (!ADDRESS.test(envelope.to) || envelope.to.length > 320) {
    throw new DomainError('VALIDATION_FAILED', 'The recipient is not a single email address.', { field: 'to' });
  }
  // Mail to a report's reporter: threaded with their messages, encrypted when they gave a key, and
  // without the team's text when the report came encrypted and no key is known (reporter-thread.ts).
  const toReporter = await reporterMailAtQueue(trx, envelope);
  const rendered = renderEmail(toReporter?.email ?? envelope.email, { config: deps.config });
  if (envelope.headers) checkHeaders(envelope.headers);
  const merged = { ...envelope.headers, ...toReporter?.headers };
  const headers = Object.keys(merged).length > 0 ? merged : null;
  const id = newId();
  await insertEmailRow(trx, {
    id,
    project_id: envelope.projectId,
    report_id: envelope.reportId,
    // Fixed once, so every attempt carries the same Message-ID and a receiver can drop a duplicate.
    message_id: `<${newId()}@${deps.config.publicUrl.hostname}>`,
    to_address: envelope.to,
    subject: toReporter?.subject ?? rendered.subject,
    // A reporter's private status link is kept here only while the email waits in the queue:
    // delivery replaces it by the generic /status page when the email is sent, stored or given up.
    text_body: rendered.text,
    html_body: rendered.html,
    template: envelope.email.template,
    status: 'queued',
    last_error: null,
    created_at: iso(deps.clock.now()),
    sent_at: null,
    headers: headers ? JSON.stringify(headers) : null,
    encrypt_to_key: toReporter?.encryptToKey ?? envelope.encryptToKey ?? null,
  });
  if (envelope.attachments?.length) {
    await insertAttachmentRows(
      trx,
      envelope.attachments.map((a, position) => ({
        id: newId(),
        email_id: id,
        position,
        filename: a.filename,
        content_type: a.contentType,
        content: a.content,
      })),
    );
  }
  await enqueue(trx, deps.clock, { kind: 'email.send', emailId: id }, { maxAttempts: EMAIL_MAX_ATTEMPTS });
  return id;
}

export async function getEmail(db: DbOrTrx, id: string): Promise<OutboundEmail | undefined> {
  const row = await findEmailRow(db, id);
  return row ? toOutboundEmail(row) : undefined;
}

/** A position in the newest-first list: the last email of the previous page. */
export interface EmailCursor {
  createdAt: string;
  id: string;
}

/** Newest first. `projectId` limits to one project's mail; `before` pages back. */
export async function listEmails(
  db: DbOrTrx,
  filter: { projectId?: string; limit?: number; before?: EmailCursor } = {},
): Promise<OutboundEmail[]> {
  const rows = await listEmailRows(db, { ...filter, limit: filter.limit ?? 100 });
  return rows.map(toOutboundEmail);
}

/** Puts a failed email back in the queue with a fresh job; NOT_FOUND, or CONFLICT unless it is failed. */
export async function retryFailedEmail(trx: Trx, clock: Clock, id: string): Promise<OutboundEmail> {
  const row = await findEmailRow(trx, id);
  if (!row) throw new DomainError('NOT_FOUND');
  if (!(await requeueFailedEmail(trx, id))) {
    throw new DomainError('CONFLICT', 'Only an email that failed can be retried.', { status: row.status });
  }
  await enqueue(trx, clock, { kind: 'email.send', emailId: id }, { maxAttempts: EMAIL_MAX_ATTEMPTS });
  return toOutboundEmail({ ...row, status: 'queued' });
}

// A reporter's status link is their bearer credential: team members reading stored mail must not
// be able to act as the reporter, so the token is hidden wherever mail bodies are shown. An account
// setup link is hidden too: an instance admin who used one could sign in as a project member and
// read reports. The admin page shows a setup link once, when it is issued for an account in no project.
// List confirmation, unsubscribe and distributor acknowledgement links act for their addressee too.
const STATUS_TOKEN = /(\/(?:status|setup|lists\/confirm|lists\/unsubscribe|distributor\/ack)\/)[A-Za-z0-9_.-]{16,}/g;

/** The email as shown on a page: bearer tokens of reporters' status links replaced. */
export function forDisplay(email: OutboundEmail): OutboundEmail {
  return {
    ...email,
    text: email.text.replace(STATUS_TOKEN, '$1[hidden]'),
    html: email.html.replace(STATUS_TOKEN, '$1[hidden]'),
  };
}
