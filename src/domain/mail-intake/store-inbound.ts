import { iso } from '../../clock.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { newId } from '../ids.js';
// The processing job commits with the row (the transactional outbox), so it is enqueued here.
import { enqueue } from '../outbox/outbox.js';
import { findInboundByImapUid, insertInboundRow } from './inbound.repository.js';
import { rawMessageId } from './raw-headers.js';

export interface StoreInboundInput {
  source: 'smtp' | 'imap';
  /** The project the message was addressed to (null only if it cannot be told yet). */
  projectId: string | null;
  raw: Buffer;
  /** The SMTP envelope sender; null for the null sender `<>` (bounces) and for IMAP when unknown. */
  envelopeFrom: string | null;
  envelopeTo: readonly string[];
  /** For IMAP: the message's place in its mailbox, which makes storing it idempotent. */
  imap?: { accountId: string; uidValidity: string; uid: number };
}

/** How many times the processing job is tried before it is parked (the message stays 'received'). */
export const PROCESS_MAX_ATTEMPTS = 5;

/**
 * Stores an accepted message and enqueues its 'mail.process' job in the caller's transaction, so a
 * message that was answered 250 (or taken from IMAP) exists and will be processed exactly when this
 * commits. For IMAP, the same (account, UIDVALIDITY, UID) is stored once: a second call returns the
 * first row's id with `duplicate: true` and enqueues nothing.
 */
export async function storeInboundMessage(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: StoreInboundInput,
): Promise<{ id: string; duplicate: boolean }> {
  const id = newId();
  const inserted = await insertInboundRow(trx, {
    id,
    source: input.source,
    project_id: input.projectId,
    imap_account_id: input.imap?.accountId ?? null,
    imap_uid_validity: input.imap?.uidValidity ?? null,
    imap_uid: input.imap?.uid ?? null,
    envelope_from: input.envelopeFrom || null,
    envelope_to: JSON.stringify(input.envelopeTo),
    message_id: rawMessageId(input.raw),
    size: input.raw.length,
    raw: input.raw,
    status: 'received',
    reason: null,
    report_id: null,
    received_at: iso(deps.clock.now()),
    processed_at: null,
  });
  if (!inserted) {
    const existing = input.imap ? await findInboundByImapUid(trx, input.imap) : undefined;
    if (!existing) throw new Error('an inbound message was neither stored nor found');
    return { id: existing.id, duplicate: true };
  }
  await enqueue(trx, deps.clock, { kind: 'mail.process', inboundId: id }, { maxAttempts: PROCESS_MAX_ATTEMPTS });
  return { id, duplicate: false };
}
