import type { Clock } from '../../clock.js';
import { toBuffer } from '../../db/dialect.js';
import type { Trx } from '../../db/types.js';
import { DomainError } from '../../errors.js';
// The queue's enqueue is the transactional outbox (as mail/outbox.ts uses it): the job must commit
// with the row, so it is called here rather than by the caller.
import { enqueue } from '../../jobs/queue.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import { findInboundRow, type InboundListRow, listInboundRows, updateInboundRow } from './inbound.repository.js';
import { decodeHeaderText, rawHeader } from './raw-headers.js';
import { PROCESS_MAX_ATTEMPTS } from './store-inbound.js';

// The project's view of the mail it received: what became reports, what was ignored and why, and
// the quarantine, whose messages can be downloaded whole and processed again.

export type InboundStatus = 'received' | 'processed' | 'ignored' | 'quarantined';

export interface InboundMessage {
  id: string;
  source: string;
  status: InboundStatus;
  reason: string | null;
  /** The SMTP envelope sender, or null for the null sender `<>`. */
  envelopeFrom: string | null;
  recipients: string[];
  /** From and Subject, read from the kept raw message; null once a processed message's copy is cleared. */
  from: string | null;
  subject: string | null;
  size: number;
  reportId: string | null;
  receivedAt: string;
  processedAt: string | null;
}

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;

function toMessage(row: InboundListRow, raw: Buffer | null): InboundMessage {
  const header = (name: string) => {
    const value = raw ? rawHeader(raw, name) : null;
    return value ? decodeHeaderText(value).slice(0, 300) : null;
  };
  return {
    id: row.id,
    source: row.source,
    status: row.status as InboundStatus,
    reason: row.reason,
    envelopeFrom: row.envelope_from,
    recipients: JSON.parse(row.envelope_to) as string[],
    from: header('from'),
    subject: header('subject'),
    size: Number(row.size),
    reportId: row.report_id,
    receivedAt: row.received_at,
    processedAt: row.processed_at,
  };
}

/**
 * The project's inbound messages, newest first. Subjects and senders are embargoed information
 * (a subject often names the flaw), so every listing is audited, in the caller's transaction.
 */
export async function listInboundMessages(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; limit?: number },
): Promise<InboundMessage[]> {
  const rows = await listInboundRows(trx, { projectId: options.projectId, limit: options.limit ?? 100 });
  const messages = rows.map((row) => toMessage(row, row.raw_head ? toBuffer(row.raw_head) : null));
  await recordAudit(trx, clock, {
    ...options.by,
    projectId: options.projectId,
    action: 'mail.inbound_viewed',
    subjectType: 'project',
    subjectId: options.projectId,
    detail: { inboundIds: messages.map((m) => m.id) },
  });
  return messages;
}

async function requireInbound(trx: Trx, projectId: string, id: string) {
  const row = await findInboundRow(trx, id);
  if (!row || row.project_id !== projectId) throw new DomainError('NOT_FOUND');
  return row;
}

/** The whole raw message as received, for download; NOT_FOUND once its copy was cleared. Audited. */
export async function readInboundRaw(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; inboundId: string },
): Promise<{ filename: string; content: Buffer }> {
  const row = await requireInbound(trx, options.projectId, options.inboundId);
  if (!row.raw) throw new DomainError('NOT_FOUND', 'This message was filed and its raw copy is no longer kept.');
  await recordAudit(trx, clock, {
    ...options.by,
    projectId: options.projectId,
    action: 'mail.raw_downloaded',
    subjectType: 'inbound_message',
    subjectId: row.id,
    detail: { status: row.status },
  });
  return { filename: `message-${row.id}.eml`, content: toBuffer(row.raw) };
}

/** Puts a quarantined message back in the queue (after a fix, or to retry); CONFLICT unless quarantined. */
export async function reprocessInbound(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; inboundId: string },
): Promise<void> {
  const row = await requireInbound(trx, options.projectId, options.inboundId);
  const patch = { status: 'received', reason: null, processed_at: null };
  if (!(await updateInboundRow(trx, row.id, 'quarantined', patch))) {
    throw new DomainError('CONFLICT', 'Only a quarantined message can be processed again.', { status: row.status });
  }
  await enqueue(trx, clock, { kind: 'mail.process', inboundId: row.id }, { maxAttempts: PROCESS_MAX_ATTEMPTS });
  await recordAudit(trx, clock, {
    ...options.by,
    projectId: options.projectId,
    action: 'mail.reprocess_requested',
    subjectType: 'inbound_message',
    subjectId: row.id,
    detail: { previousReason: row.reason },
  });
}
