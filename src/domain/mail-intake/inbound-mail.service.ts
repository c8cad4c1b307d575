import type { Clock } from '../../clock.js';
import { iso } from '../../clock.js';
import { toBuffer } from '../../db/dialect.js';
import type { Trx } from '../../db/types.js';
import { DomainError } from '../../errors.js';
// The queue's enqueue is the transactional outbox (as mail/outbox.ts uses it): the job must commit
// with the row, so it is called here rather than by the caller.
import { enqueue } from '../outbox/outbox.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import {
  countInboundRows,
  findInboundRow,
  hasLiveProcessJob,
  type InboundListRow,
  type InboundRowCursor,
  listInboundRows,
  updateInboundRow,
} from './inbound.repository.js';
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
  /** Still 'received' but no processing job will run any more (it failed every attempt). */
  stalled: boolean;
}

/** Where a page of the newest-first list ends: the last message shown. */
export type InboundCursor = InboundRowCursor;

export interface InboundListing {
  /** The quarantine, newest first: kept apart so that other mail never pushes it out of sight. */
  quarantined: InboundMessage[];
  quarantinedTotal: number;
  /** The cursor of the next page of the quarantine, or null when this is its last page. */
  quarantinedOlder: InboundCursor | null;
  /** Every message, any status, newest first. */
  messages: InboundMessage[];
  older: InboundCursor | null;
}

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;

function toMessage(row: InboundListRow, raw: Buffer | null, stalled: boolean): InboundMessage {
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
    stalled,
  };
}

/** One page of rows (newest first) and the cursor of the next page, or null on the last. */
async function page(
  trx: Trx,
  now: string,
  filter: { projectId: string; statuses?: readonly string[]; before?: InboundCursor },
  pageSize: number,
): Promise<{ messages: InboundMessage[]; older: InboundCursor | null }> {
  // One more than shown tells whether an older page exists.
  const rows = await listInboundRows(trx, { ...filter, limit: pageSize + 1 });
  const shown = rows.slice(0, pageSize);
  const messages: InboundMessage[] = [];
  for (const row of shown) {
    const stalled = row.status === 'received' && !(await hasLiveProcessJob(trx, row.id, now));
    messages.push(toMessage(row, row.raw_head ? toBuffer(row.raw_head) : null, stalled));
  }
  const last = messages[messages.length - 1];
  const older = rows.length > pageSize && last ? { receivedAt: last.receivedAt, id: last.id } : null;
  return { messages, older };
}

/**
 * The project's inbound messages: the quarantine on its own and every message, each newest first
 * and paged by its own cursor. Subjects and senders are embargoed information (a subject often names
 * the flaw), so every listing is audited, in the caller's transaction.
 */
export async function listInboundMessages(
  trx: Trx,
  clock: Clock,
  options: {
    by: ActedBy;
    projectId: string;
    pageSize?: number;
    before?: InboundCursor;
    quarantinedBefore?: InboundCursor;
  },
): Promise<InboundListing> {
  const { projectId } = options;
  const pageSize = options.pageSize ?? 50;
  const now = iso(clock.now());
  const quarantine = await page(
    trx,
    now,
    { projectId, statuses: ['quarantined'], before: options.quarantinedBefore },
    pageSize,
  );
  const all = await page(trx, now, { projectId, before: options.before }, pageSize);
  const quarantinedTotal = await countInboundRows(trx, { projectId, statuses: ['quarantined'] });
  const ids = [...new Set([...quarantine.messages, ...all.messages].map((m) => m.id))];
  await recordAudit(trx, clock, {
    ...options.by,
    projectId,
    action: 'mail.inbound_viewed',
    subjectType: 'project',
    subjectId: projectId,
    detail: { inboundIds: ids },
  });
  return {
    quarantined: quarantine.messages,
    quarantinedTotal,
    quarantinedOlder: quarantine.older,
    messages: all.messages,
    older: all.older,
  };
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

/**
 * Puts a message back in the queue (after a fix, or to retry): a quarantined one, or one still
 * 'received' whose processing job gave up (no job left that may run). CONFLICT otherwise.
 */
export async function reprocessInbound(
  trx: Trx,
  clock: Clock,
  options: { by: ActedBy; projectId: string; inboundId: string },
): Promise<void> {
  const row = await requireInbound(trx, options.projectId, options.inboundId);
  const patch = { status: 'received', reason: null, processed_at: null };
  const refuse = () =>
    new DomainError('CONFLICT', 'Only a quarantined or stalled message can be processed again.', {
      status: row.status,
    });
  if (row.status === 'received') {
    // The update comes first: it locks the row (PostgreSQL; SQLite has one writer), so two requests
    // cannot both find no live job and enqueue two.
    if (!(await updateInboundRow(trx, row.id, 'received', patch))) throw refuse();
    if (await hasLiveProcessJob(trx, row.id, iso(clock.now()))) throw refuse();
  } else if (!(await updateInboundRow(trx, row.id, 'quarantined', patch))) {
    throw refuse();
  }
  await enqueue(trx, clock, { kind: 'mail.process', inboundId: row.id }, { maxAttempts: PROCESS_MAX_ATTEMPTS });
  await recordAudit(trx, clock, {
    ...options.by,
    projectId: options.projectId,
    action: 'mail.reprocess_requested',
    subjectType: 'inbound_message',
    subjectId: row.id,
    detail: { previousStatus: row.status, previousReason: row.reason },
  });
}
