import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Actor } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { type AckClock, ackClock } from './ack-clock.js';
import { type CloseReason, REPORT_STATUSES, type ReportStatus } from './report-state.js';
import { inboxRows, statusCountRows } from './triage.repository.js';

/** The inbox's filter tabs: one state, every open state, or everything. */
export type InboxFilter = ReportStatus | 'open' | 'all';
export const INBOX_FILTERS: readonly InboxFilter[] = [
  'open',
  'new',
  'acknowledged',
  'needs_info',
  'accepted',
  'closed',
  'all',
];
const OPEN_STATUSES: ReportStatus[] = ['new', 'acknowledged', 'needs_info'];

// A page of the inbox; a project with more open reports than this has a bigger problem than paging.
const INBOX_LIMIT = 500;

export interface InboxItem {
  id: string;
  trackingId: string;
  title: string;
  status: ReportStatus;
  closeReason: CloseReason | null;
  receivedAt: string;
  lastActivityAt: string;
  ackClock: AckClock;
}

export interface Inbox {
  filter: InboxFilter;
  items: InboxItem[];
  /** How many reports each tab holds, whatever the current filter. */
  counts: Record<InboxFilter, number>;
  /** Whether more reports matched than are listed. */
  truncated: boolean;
}

/** A project's reports, most urgent first, with each one's acknowledgement clock as of now. */
export async function listInbox(
  db: DbOrTrx,
  deps: Pick<Deps, 'clock'>,
  input: { projectId: string; status?: InboxFilter; limit?: number },
): Promise<Inbox> {
  const filter = input.status ?? 'open';
  const statuses = filter === 'all' ? [...REPORT_STATUSES] : filter === 'open' ? OPEN_STATUSES : [filter];
  const limit = input.limit ?? INBOX_LIMIT;
  const rows = await inboxRows(db, { projectId: input.projectId, statuses, limit: limit + 1 });
  const now = deps.clock.now();

  const counts = Object.fromEntries(INBOX_FILTERS.map((f) => [f, 0])) as Record<InboxFilter, number>;
  for (const { status, count } of await statusCountRows(db, input.projectId)) {
    if (status in counts) counts[status as ReportStatus] += count;
    if ((OPEN_STATUSES as string[]).includes(status)) counts.open += count;
    counts.all += count;
  }

  return {
    filter,
    truncated: rows.length > limit,
    counts,
    items: rows.slice(0, limit).map((r) => ({
      id: r.id,
      trackingId: r.tracking_id,
      title: r.title,
      status: r.status as ReportStatus,
      closeReason: r.close_reason as CloseReason | null,
      receivedAt: r.received_at,
      lastActivityAt: r.last_activity_at,
      ackClock: ackClock({ receivedAt: r.received_at, ackDueAt: r.ack_due_at, acknowledgedAt: r.acknowledged_at }, now),
    })),
  };
}

/**
 * The inbox as a team member sees it. Titles come from embargoed reports, so the listing is a
 * read of embargoed content and is audited with the tracking ids it showed.
 */
export async function viewInbox(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { actor: Actor; origin: RequestOrigin; projectId: string; status?: InboxFilter },
): Promise<Inbox> {
  const inbox = await listInbox(trx, deps, { projectId: input.projectId, status: input.status });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.projectId,
    action: 'report.list_viewed',
    subjectType: 'project',
    subjectId: input.projectId,
    detail: { filter: inbox.filter, count: inbox.items.length, trackingIds: inbox.items.map((i) => i.trackingId) },
  });
  return inbox;
}
