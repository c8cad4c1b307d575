import { iso } from '../clock.js';
import type { Deps } from '../deps.js';
import type { Logger } from '../logger.js';
import { findEmailRow, markEmailSent, markEmailStored, recordEmailFailure } from './outbox.repository.js';

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
 */
export async function deliverEmail(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'mail'>,
  options: { emailId: string; attempt: number; maxAttempts: number; logger: Logger },
): Promise<void> {
  const row = await findEmailRow(deps.db, options.emailId);
  if (!row) {
    options.logger.warn({ emailId: options.emailId }, 'outbox email not found; nothing to send');
    return;
  }
  // sent: a previous run delivered it and died before completing its job. stored/failed: settled.
  if (row.status !== 'queued') return;

  if (deps.mail.kind === 'stored') {
    await markEmailStored(deps.db, row.id);
    return;
  }

  try {
    await deps.mail.send({
      messageId: row.message_id,
      from: deps.config.mailFrom,
      to: row.to_address,
      subject: row.subject,
      text: row.text_body,
      html: row.html_body,
      // RFC 3834: tells auto-responders not to answer.
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
  } catch (err) {
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 500);
    await recordEmailFailure(deps.db, {
      id: row.id,
      error: message,
      giveUp: options.attempt >= options.maxAttempts,
    });
    throw err;
  }
  await markEmailSent(deps.db, row.id, iso(deps.clock.now()));
}
