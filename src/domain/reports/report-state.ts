import { DomainError } from '../../errors.js';

/** The states of a report, from arrival to acceptance as a case or closure. */
export const REPORT_STATUSES = ['new', 'acknowledged', 'needs_info', 'accepted', 'closed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export const CLOSE_REASONS = ['duplicate', 'not_vulnerability', 'out_of_scope', 'informative', 'spam'] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

export const REPORT_ACTIONS = ['acknowledge', 'request_info', 'info_provided', 'accept', 'close', 'reopen'] as const;
export type ReportAction = (typeof REPORT_ACTIONS)[number];

const OPEN: readonly ReportStatus[] = ['new', 'acknowledged', 'needs_info'];

/** Which states each action may start from. Everything not listed is refused. */
const allowedFrom: Record<ReportAction, readonly ReportStatus[]> = {
  acknowledge: ['new'],
  request_info: ['new', 'acknowledged'],
  // The reporter answered (or the team resumes without waiting).
  info_provided: ['needs_info'],
  accept: OPEN,
  close: OPEN,
  // An accepted report lives on as its case; only closed reports reopen.
  reopen: ['closed'],
};

export interface TransitionContext {
  /** Whether a human has acknowledged the report before (decides where a reopened report lands). */
  wasAcknowledged: boolean;
}

export function canTransition(from: ReportStatus, action: ReportAction): boolean {
  return allowedFrom[action].includes(from);
}

/** The state after `action`, or INVALID_TRANSITION. */
export function nextStatus(from: ReportStatus, action: ReportAction, ctx: TransitionContext): ReportStatus {
  if (!canTransition(from, action)) {
    throw new DomainError(
      'INVALID_TRANSITION',
      `A report that is ${statusLabel(from).toLowerCase()} cannot be moved by "${action}".`,
      {
        from,
        action,
      },
    );
  }
  switch (action) {
    case 'acknowledge':
    case 'info_provided':
      return 'acknowledged';
    case 'request_info':
      return 'needs_info';
    case 'accept':
      return 'accepted';
    case 'close':
      return 'closed';
    case 'reopen':
      return ctx.wasAcknowledged ? 'acknowledged' : 'new';
  }
}

export function allowedActions(from: ReportStatus): ReportAction[] {
  return REPORT_ACTIONS.filter((a) => canTransition(from, a));
}

/** Whether the action counts as the human acknowledgement the SLA clock waits for. */
export function acknowledges(action: ReportAction): boolean {
  return action === 'acknowledge' || action === 'request_info' || action === 'accept' || action === 'close';
}

export function isReportStatus(value: string): value is ReportStatus {
  return (REPORT_STATUSES as readonly string[]).includes(value);
}

export function isCloseReason(value: string): value is CloseReason {
  return (CLOSE_REASONS as readonly string[]).includes(value);
}

export function statusLabel(status: ReportStatus): string {
  switch (status) {
    case 'new':
      return 'Received';
    case 'acknowledged':
      return 'Acknowledged';
    case 'needs_info':
      return 'Needs more information';
    case 'accepted':
      return 'Accepted';
    case 'closed':
      return 'Closed';
  }
}

export function closeReasonLabel(reason: CloseReason): string {
  switch (reason) {
    case 'duplicate':
      return 'Duplicate of another report';
    case 'not_vulnerability':
      return 'Not a vulnerability';
    case 'out_of_scope':
      return 'Out of scope';
    case 'informative':
      return 'Informative: no action needed';
    case 'spam':
      return 'Spam';
  }
}
