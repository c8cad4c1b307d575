import { iso } from '../../clock.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { newId } from '../ids.js';
import { insertInboundRow } from './inbound.repository.js';

/**
 * Records a mailbox message larger than the limit as quarantined, with its size and Message-ID but
 * without its bytes: it is never downloaded whole, stays in the mailbox, and admins see why it did
 * not become a report. No processing job is enqueued. Idempotent on (account, UIDVALIDITY, UID),
 * like storeInboundMessage.
 */
export async function storeOversizedImapMessage(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: {
    projectId: string;
    envelopeTo: readonly string[];
    imap: { accountId: string; uidValidity: string; uid: number };
    size: number;
    limit: number;
    messageId: string | null;
  },
): Promise<void> {
  await insertInboundRow(trx, {
    id: newId(),
    source: 'imap',
    project_id: input.projectId,
    imap_account_id: input.imap.accountId,
    imap_uid_validity: input.imap.uidValidity,
    imap_uid: input.imap.uid,
    envelope_from: null,
    envelope_to: JSON.stringify(input.envelopeTo),
    message_id: input.messageId,
    size: input.size,
    raw: null,
    status: 'quarantined',
    reason: `Too large: ${input.size} bytes, over the limit of ${input.limit} bytes. It was left in the mailbox, not downloaded.`,
    report_id: null,
    received_at: iso(deps.clock.now()),
    processed_at: null,
  });
}
