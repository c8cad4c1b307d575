import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import type { Case } from '../cases/cases.js';
import { createCaseFromReport } from '../cases/cases.service.js';
import {
  acknowledges,
  type CloseReason,
  isCloseReason,
  nextStatus,
  type ReportAction,
  type ReportStatus,
} from './report-state.js';
import type { Report } from './reports.js';
import { insertEntry, type NewEntry, toReport } from './reports.repository.js';
import {
  findProjectReportRow,
  findProjectReportRowByRef,
  type ReportRow,
  setReportCase,
  touchReport,
  updateReportIfStatus,
} from './triage.repository.js';
import { notifyReporter } from './triage-notify.js';

// The team's actions on a report. Each runs in the caller's transaction and writes the report, its
// timeline entry, the audit entry and any email to the reporter together: all or nothing.

export type TriageDeps = Pick<Deps, 'clock' | 'config'>;

/** Who acts on which report. A report of another project is REPORT_NOT_FOUND. */
export interface TriageTarget {
  actor: Actor;
  origin: RequestOrigin;
  projectId: string;
  /** The report's id or tracking id. */
  reportId: string;
}

export interface TriageResult {
  report: Report;
}

const MAX_TEXT = 20_000;

/** A required text field, trimmed; VALIDATION_FAILED names the field when it is empty or too long. */
function requiredText(value: string | null | undefined, field: string, what: string): string {
  const text = optionalText(value, field);
  if (text === null) throw new DomainError('VALIDATION_FAILED', `Write ${what}.`, { field });
  return text;
}

function optionalText(value: string | null | undefined, field: string): string | null {
  const text = value?.trim() ?? '';
  if (text.length > MAX_TEXT) {
    throw new DomainError('VALIDATION_FAILED', `Keep it under ${MAX_TEXT} characters.`, { field });
  }
  return text === '' ? null : text;
}

/** The report of the target's project, or REPORT_NOT_FOUND. */
export async function requireTeamReportRow(db: DbOrTrx, target: { projectId: string; reportId: string }) {
  const row = await findProjectReportRowByRef(db, target.projectId, target.reportId);
  if (!row) throw new DomainError('REPORT_NOT_FOUND');
  return row;
}

/** Appends a timeline entry written by the acting team member (or the system). */
async function addEntry(
  trx: Trx,
  actor: Actor,
  reportId: string,
  at: string,
  entry: Pick<NewEntry, 'kind' | 'visibility' | 'body' | 'statusFrom' | 'statusTo' | 'detail'>,
): Promise<void> {
  await insertEntry(trx, {
    ...entry,
    reportId,
    authorKind: actor.kind === 'user' ? 'team' : 'system',
    authorUserId: actor.kind === 'user' ? actor.userId : null,
    createdAt: at,
  });
}

interface TransitionSpec {
  action: ReportAction;
  auditAction: string;
  /** The team's public message, stored on the status entry and emailed. */
  message: string | null;
  /** Extra columns: close reason and duplicate on close, cleared on reopen. */
  set?: { close_reason: string | null; duplicate_of_id: string | null };
  /** Public detail on the status entry (reasons, tracking ids; never free text). */
  entryDetail?: Record<string, unknown>;
  /** Audit detail (ids, states, reasons only). */
  auditDetail?: Record<string, unknown>;
  closeReason?: CloseReason;
  /** Writes that need the new state (opening a case); what it returns is added to both details. */
  after?: (at: string) => Promise<Record<string, unknown> | undefined>;
}

/**
 * The one path every state change takes: state machine, guarded update, timeline entry, audit,
 * email. Callers validate their own input before calling it, so a refusal writes nothing.
 */
async function transition(
  trx: Trx,
  deps: TriageDeps,
  target: TriageTarget,
  row: ReportRow,
  spec: TransitionSpec,
): Promise<Report> {
  const from = row.status as ReportStatus;
  const to = nextStatus(from, spec.action, { wasAcknowledged: row.acknowledged_at !== null });
  const at = iso(deps.clock.now());
  const set = {
    status: to,
    last_activity_at: at,
    updated_at: at,
    ...(acknowledges(spec.action) && row.acknowledged_at === null ? { acknowledged_at: at } : {}),
    ...(to === 'closed' ? { closed_at: at } : from === 'closed' ? { closed_at: null } : {}),
    ...spec.set,
  };
  if (!(await updateReportIfStatus(trx, row.id, from, set))) {
    throw new DomainError('CONFLICT', 'Someone changed this report at the same moment; reload it and try again.');
  }
  const extra = await spec.after?.(at);
  const entryDetail = spec.entryDetail || extra ? { ...spec.entryDetail, ...extra } : null;
  await addEntry(trx, target.actor, row.id, at, {
    kind: 'status',
    visibility: 'public',
    body: spec.message,
    statusFrom: from,
    statusTo: to,
    detail: entryDetail,
  });
  await recordAudit(trx, deps.clock, {
    actor: target.actor,
    origin: target.origin,
    projectId: row.project_id,
    action: spec.auditAction,
    subjectType: 'report',
    subjectId: row.id,
    detail: { from, to, ...spec.auditDetail, ...extra, withMessage: spec.message !== null },
  });
  const updated: ReportRow = { ...row, ...set };
  // A spam closure is not announced: it would only confirm to the sender that the address is read.
  if (spec.closeReason !== 'spam') {
    await notifyReporter(trx, deps, updated, {
      status: to,
      closeReason: spec.closeReason ?? null,
      message: spec.message,
    });
  }
  return toReport(updated);
}

/** new -> acknowledged, with the (edited) acknowledgement message for the reporter. */
export async function acknowledge(
  trx: Trx,
  deps: TriageDeps,
  input: TriageTarget & { message: string },
): Promise<TriageResult> {
  const message = requiredText(input.message, 'message', 'a message to the reporter');
  const row = await requireTeamReportRow(trx, input);
  const spec = { action: 'acknowledge', auditAction: 'report.acknowledged', message } as const;
  return { report: await transition(trx, deps, input, row, spec) };
}

/** Asks the reporter for more details: -> needs_info. */
export async function requestInfo(
  trx: Trx,
  deps: TriageDeps,
  input: TriageTarget & { message: string },
): Promise<TriageResult> {
  const message = requiredText(input.message, 'message', 'what you need from the reporter');
  const row = await requireTeamReportRow(trx, input);
  const spec = { action: 'request_info', auditAction: 'report.info_requested', message } as const;
  return { report: await transition(trx, deps, input, row, spec) };
}

/** needs_info -> acknowledged, when the team goes on without waiting (or got the answer another way). */
export async function resume(
  trx: Trx,
  deps: TriageDeps,
  input: TriageTarget & { message?: string | null },
): Promise<TriageResult> {
  const message = optionalText(input.message, 'message');
  const row = await requireTeamReportRow(trx, input);
  const spec = { action: 'info_provided', auditAction: 'report.resumed', message } as const;
  return { report: await transition(trx, deps, input, row, spec) };
}

/** Accepts the report into a new embargoed case of its project, linked from the report. */
export async function accept(
  trx: Trx,
  deps: TriageDeps,
  input: TriageTarget & { message?: string | null },
): Promise<TriageResult & { case: Case }> {
  const message = optionalText(input.message, 'message');
  const row = await requireTeamReportRow(trx, input);
  let opened: Case | undefined;
  const report = await transition(trx, deps, input, row, {
    action: 'accept',
    auditAction: 'report.accepted',
    message,
    after: async (at) => {
      opened = await createCaseFromReport(trx, deps, {
        actor: input.actor,
        origin: input.origin,
        report: { id: row.id, projectId: row.project_id, title: row.title },
      });
      await setReportCase(trx, row.id, opened.id, at);
      return { caseNumber: opened.number };
    },
  });
  if (!opened) throw new Error('accept: no case was opened');
  return { report: { ...report, caseId: opened.id }, case: opened };
}

/**
 * Closes the report for `reason`. A duplicate names the other report by tracking id: it must be
 * another report of the same project, or DUPLICATE_TARGET_INVALID (and nothing is written).
 */
export async function close(
  trx: Trx,
  deps: TriageDeps,
  input: TriageTarget & { reason: string; duplicateOf?: string | null; message?: string | null },
): Promise<TriageResult> {
  const reason = input.reason;
  if (!isCloseReason(reason)) {
    throw new DomainError('VALIDATION_FAILED', 'Choose why the report is closed.', { field: 'reason' });
  }
  const message = optionalText(input.message, 'message');
  const row = await requireTeamReportRow(trx, input);
  // The state is checked first, so a refused closure says so rather than complaining about the target.
  nextStatus(row.status as ReportStatus, 'close', { wasAcknowledged: row.acknowledged_at !== null });
  const duplicate = reason === 'duplicate' ? await duplicateTarget(trx, row, input.duplicateOf) : undefined;
  const report = await transition(trx, deps, input, row, {
    action: 'close',
    auditAction: 'report.closed',
    message,
    closeReason: reason,
    set: { close_reason: reason, duplicate_of_id: duplicate?.id ?? null },
    entryDetail: { closeReason: reason, ...(duplicate ? { duplicateOfTrackingId: duplicate.tracking_id } : {}) },
    auditDetail: { closeReason: reason, ...(duplicate ? { duplicateOfId: duplicate.id } : {}) },
  });
  return { report };
}

async function duplicateTarget(trx: Trx, row: ReportRow, trackingId: string | null | undefined): Promise<ReportRow> {
  const wanted = trackingId?.trim().toUpperCase() ?? '';
  const target = wanted ? await findProjectReportRow(trx, row.project_id, { trackingId: wanted }) : undefined;
  // Another project's report is "not found" here, so the answer never confirms it exists.
  if (!target || target.id === row.id) {
    throw new DomainError('DUPLICATE_TARGET_INVALID', undefined, { field: 'duplicateOf' });
  }
  return target;
}

/** closed -> acknowledged (or new if nobody ever acknowledged it). The reason is kept as a private note. */
export async function reopen(
  trx: Trx,
  deps: TriageDeps,
  input: TriageTarget & { reason: string },
): Promise<TriageResult> {
  const reason = requiredText(input.reason, 'reason', 'why the report is reopened');
  const row = await requireTeamReportRow(trx, input);
  const report = await transition(trx, deps, input, row, {
    action: 'reopen',
    auditAction: 'report.reopened',
    message: null,
    set: { close_reason: null, duplicate_of_id: null },
  });
  const note = { kind: 'note', visibility: 'internal', body: reason, detail: { reopenReason: true } } as const;
  await addEntry(trx, input.actor, row.id, report.lastActivityAt, note);
  return { report };
}

/** A public message to the reporter, in any state; emailed when they gave an address. */
export async function sendMessage(
  trx: Trx,
  deps: TriageDeps,
  /** `detail` is kept on the entry (ids and flags only), e.g. `{ via: 'email' }` for a member's emailed reply. */
  input: TriageTarget & { message: string; detail?: Record<string, unknown> | null },
): Promise<TriageResult> {
  const message = requiredText(input.message, 'message', 'a message');
  const row = await requireTeamReportRow(trx, input);
  const at = await recordActivity(trx, deps, input, row, 'report.message_sent');
  const detail = input.detail ?? null;
  await addEntry(trx, input.actor, row.id, at, { kind: 'message', visibility: 'public', body: message, detail });
  await notifyReporter(trx, deps, row, { status: null, closeReason: null, message });
  return { report: toReport({ ...row, last_activity_at: at, updated_at: at }) };
}

/** A private team note: never shown to the reporter, never emailed. */
export async function addNote(
  trx: Trx,
  deps: TriageDeps,
  input: TriageTarget & { body: string },
): Promise<TriageResult> {
  const body = requiredText(input.body, 'body', 'a note');
  const row = await requireTeamReportRow(trx, input);
  const at = await recordActivity(trx, deps, input, row, 'report.note_added');
  await addEntry(trx, input.actor, row.id, at, { kind: 'note', visibility: 'internal', body });
  return { report: toReport({ ...row, last_activity_at: at, updated_at: at }) };
}

/** Marks activity on a report that does not change its state, and audits it; returns the time. */
async function recordActivity(
  trx: Trx,
  deps: TriageDeps,
  target: TriageTarget,
  row: ReportRow,
  action: string,
): Promise<string> {
  const at = iso(deps.clock.now());
  await touchReport(trx, row.id, at);
  await recordAudit(trx, deps.clock, {
    actor: target.actor,
    origin: target.origin,
    projectId: row.project_id,
    action,
    subjectType: 'report',
    subjectId: row.id,
  });
  return at;
}
