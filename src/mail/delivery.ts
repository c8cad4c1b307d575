import { iso } from '../clock.js';
import { failpoint } from '../failpoints.js';
import type { Db } from '../db/types.js';
import type { Deps } from '../deps.js';
import { loadProjectPrivateKey } from '../domain/pgp/pgp-keys.service.js';
import type { Logger } from '../logger.js';
import {
  attachmentRowsOf,
  findEmailRow,
  markEmailFailed,
  markEmailSent,
  markEmailStored,
  recordEmailFailure,
} from './outbox.repository.js';
import { encryptedMessage } from './pgp-mime.js';
import { headersAtSend } from './reporter-thread.js';
import { settledBodies } from './settled-bodies.js';
import type { OutgoingMessage } from './transport.js';

type DeliveryDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'mail' | 'secret'>;

/**
 * Delivers one outbox email; run by the `email.send` job, so it must be idempotent.
 *
 * Delivery guarantee. The outbox row and its job commit with the change that caused them, so no
 * email is lost. Sending is then at-least-once at the wire boundary: SMTP has no transaction we
 * can join, so if this process dies after the server answered 250 but before `markEmailSent`
 * commits, the job's lock expires and another worker sends the message again. That window is
 * the only way to a second copy: a row already `sent` is never sent again, and a job runs on one
 * worker at a time (claim by conditional UPDATE; SMTP timeouts in transport.ts are far below the
 * lock). The Message-ID is fixed when the email is queued, so a receiver that sees the rare
 * duplicate can drop it.
 *
 * Status tokens. A 'report-received' email carries the reporter's private link, and it stays in
 * the row only while the email waits in the queue (minutes, or up to the job's ~6 h of retries
 * while the mail server is down): the statement that marks it sent, stored or failed also
 * replaces the link by the generic /status page (settled-bodies.ts).
 *
 * Reporters. Mail to a report's reporter carries the report's reply address and threading
 * headers (reporter-thread.ts); when it has a key to encrypt to, it is sent as PGP/MIME, signed
 * with the project's key when there is one. The row keeps the plain bodies for the Outgoing mail page.
 *
 * Failures. Any failure (the SMTP server's, or the database's when recording the outcome) counts
 * an attempt; on the job's last attempt the email is parked as `failed`, so the admin's Retry
 * button, which takes failed mail only, can always bring it back.
 */
export async function deliverEmail(
  deps: DeliveryDeps,
  options: { emailId: string; attempt: number; maxAttempts: number; logger: Logger },
): Promise<void> {
  try {
    await deliver(deps, options);
  } catch (err) {
    const error = (err instanceof Error ? err.message : String(err)).slice(0, 500);
    const lastAttempt = options.attempt >= options.maxAttempts;
    await recordFailure(deps.db, { id: options.emailId, error, lastAttempt }).catch((recordErr: unknown) =>
      options.logger.error(
        { emailId: options.emailId, err: recordErr instanceof Error ? recordErr.message : String(recordErr) },
        'could not record the failure of an outbox email',
      ),
    );
    throw err;
  }
}

async function deliver(deps: DeliveryDeps, options: { emailId: string; logger: Logger }): Promise<void> {
  const row = await findEmailRow(deps.db, options.emailId);
  if (!row) {
    options.logger.warn({ emailId: options.emailId }, 'outbox email not found; nothing to send');
    return;
  }
  // sent: a previous run delivered it and died before completing its job. stored/failed: settled.
  if (row.status !== 'queued') return;
  const bodies = settledBodies({ text: row.text_body, html: row.html_body });
  const headers = await headersAtSend(deps.db, deps, row);

  if (deps.mail.kind === 'stored') {
    await markEmailStored(deps.db, { id: row.id, bodies });
    return;
  }
  const message: OutgoingMessage = {
    messageId: row.message_id,
    from: deps.config.mailFrom,
    to: row.to_address,
    subject: row.subject,
    text: row.text_body,
    html: row.html_body,
    // RFC 3834: tells auto-responders not to answer.
    headers: { ...headers, 'Auto-Submitted': 'auto-generated' },
  };
  const attachments = await attachmentRowsOf(deps.db, row.id);
  if (attachments.length > 0) {
    message.attachments = attachments.map((a) => ({
      filename: a.filename,
      contentType: a.content_type,
      content: a.content,
    }));
  }
  if (row.encrypt_to_key) {
    // Signing is a courtesy: a key that cannot be unsealed (the server key changed) must not hold the mail back.
    const signingKey = row.project_id
      ? await loadProjectPrivateKey(deps.db, deps, row.project_id).catch(() => {
          options.logger.warn({ emailId: row.id }, 'the project key could not be unsealed; sending unsigned');
          return null;
        })
      : null;
    message.raw = await encryptedMessage(message, {
      recipientKey: row.encrypt_to_key,
      signingKey,
      date: deps.clock.now(),
    });
  }
  failpoint('email.before-send');
  await deps.mail.send(message);
  await markEmailSent(deps.db, { id: row.id, at: iso(deps.clock.now()), bodies });
}

async function recordFailure(db: Db, options: { id: string; error: string; lastAttempt: boolean }): Promise<void> {
  if (!options.lastAttempt) {
    await recordEmailFailure(db, options);
    return;
  }
  // Read again: the failure may have come before or instead of the first read.
  const row = await findEmailRow(db, options.id);
  if (!row) return;
  const bodies = settledBodies({ text: row.text_body, html: row.html_body });
  await markEmailFailed(db, { id: options.id, error: options.error, bodies });
}
