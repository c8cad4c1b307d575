import { DAY_MS, iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { queueEmail } from '../../mail/outbox.js';
import { recordAudit } from '../audit/audit.service.js';
import { noOrigin } from '../audit/audit.js';
import { newId } from '../ids.js';
import { enqueue } from '../outbox/outbox.js';
import {
  advanceReminder,
  caseWithProject,
  reminderRecipients,
  findSeverityRow,
  setNextReminder,
  severityRowsOfProject,
} from './case-severity.repository.js';
import type { ClockSeverity } from './deadline-clock.js';
import { findSeverityPolicyRow } from './severity-policy.repository.js';
import { defaultSeverityPolicy, nextReminderAt, parseSeverityPolicy, type SeverityPolicy } from './severity-policy.js';
import { insertHistory, lockCase, touchCase } from '../cases/cases.repository.js';

// Reminders: when nothing moves on a case for the interval its effective severity sets (the
// project's severity policy), its owner is reminded, then again every interval until something
// moves. Each case has at most one pending reminder time (case_severity.next_reminder_at); its job
// carries that time, so a job made stale by a later move does nothing, and a job run twice (its
// worker died after committing) finds the time already advanced and does nothing either.

/**
 * The project's policy, read here rather than through severity-policy.service, which calls this
 * module when a policy changes (an import cycle otherwise).
 */
async function policyOf(db: DbOrTrx, projectId: string): Promise<SeverityPolicy> {
  const row = await findSeverityPolicyRow(db, projectId);
  return row ? parseSeverityPolicy(JSON.parse(row.policy)) : defaultSeverityPolicy;
}

/**
 * Published and closed cases are done: nobody is reminded of them. Nor of a scheduled case: its
 * next steps (the notices, the release) are the timeline's jobs, and it moves again by itself.
 */
const remindable = (state: string): boolean => state !== 'published' && state !== 'closed' && state !== 'scheduled';

const severityOf = (stored: string): ClockSeverity | null =>
  stored === 'critical' || stored === 'high' || stored === 'medium' || stored === 'low' ? stored : null;

/**
 * Records that the case moved at `at` and restarts its reminder clock from then, in the caller's
 * transaction. Every change to a case calls this. Returns the new reminder time, or null when the
 * case has no severity yet or its severity is never reminded.
 */
export async function caseMoved(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { caseId: string; projectId: string; at: Date },
): Promise<Date | null> {
  await touchCase(trx, input.caseId, iso(input.at));
  const row = await findSeverityRow(trx, input.caseId);
  if (!row) return null;
  const found = await caseWithProject(trx, input.caseId);
  const policy = await policyOf(trx, input.projectId);
  const next =
    found && remindable(found.theCase.state)
      ? nextReminderAt(policy, severityOf(row.effective_severity), input.at)
      : null;
  await setNextReminder(trx, input.caseId, next ? iso(next) : null);
  if (next)
    await enqueue(trx, deps.clock, { kind: 'case.remind', caseId: input.caseId, dueAt: iso(next) }, { runAt: next });
  return next;
}

export type ReminderOutcome = 'sent' | 'stale' | 'no-recipient';

/** The case.remind job: reminds the owner (or, with no owner, the project's admins) if still due. */
export async function runCaseReminder(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  job: { caseId: string; dueAt: string },
): Promise<ReminderOutcome> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await findSeverityRow(trx, job.caseId);
    if (!row || row.next_reminder_at !== job.dueAt) return 'stale';
    const found = await caseWithProject(trx, job.caseId);
    if (!found) return 'stale';
    const { theCase, project } = found;
    if (!remindable(theCase.state)) {
      await advanceReminder(trx, job.caseId, job.dueAt, null);
      return 'stale';
    }
    const policy = await policyOf(trx, theCase.project_id);
    const severity = severityOf(row.effective_severity);
    const now = deps.clock.now();
    const from = new Date(Math.max(now.getTime(), Date.parse(job.dueAt)));
    const next = nextReminderAt(policy, severity, from);
    // Compare-and-set: only the run that moves the pending time from dueAt sends the reminder.
    if (!(await advanceReminder(trx, job.caseId, job.dueAt, next ? iso(next) : null))) return 'stale';
    if (next)
      await enqueue(trx, deps.clock, { kind: 'case.remind', caseId: job.caseId, dueAt: iso(next) }, { runAt: next });

    const recipients = await reminderRecipients(trx, theCase.owner_id, theCase.project_id);
    const idleDays = Math.max(1, Math.floor((now.getTime() - Date.parse(theCase.updated_at)) / DAY_MS));
    for (const to of recipients) {
      await queueEmail(trx, deps, {
        to,
        projectId: theCase.project_id,
        reportId: null,
        email: {
          template: 'case-reminder',
          projectName: project.name,
          caseNumber: theCase.number,
          caseUrl: new URL(`/p/${project.slug}/cases/${theCase.number}`, deps.config.publicUrl).toString(),
          idleDays,
        },
      });
    }
    const system = { kind: 'system', label: 'reminders' } as const;
    await insertHistory(trx, {
      id: newId(),
      case_id: theCase.id,
      project_id: theCase.project_id,
      at: iso(now),
      actor_user_id: null,
      actor_label: 'reminders',
      change: 'reminder.sent',
      previous: null,
      value: JSON.stringify({ recipients: recipients.length, idleDays, next: next ? iso(next) : null }),
      reason: null,
    });
    await recordAudit(trx, deps.clock, {
      actor: system,
      origin: noOrigin,
      projectId: theCase.project_id,
      action: 'case.reminder.sent',
      subjectType: 'case',
      subjectId: theCase.id,
      detail: { number: theCase.number, recipients: recipients.length, idleDays },
    });
    return recipients.length > 0 ? 'sent' : 'no-recipient';
  });
}

/**
 * After a project's policy changed: every pending reminder of its cases is recomputed from when the
 * case last moved under the new policy (a reminder already overdue goes out at once), in the
 * caller's transaction. Old jobs go stale.
 */
export async function rescheduleProjectReminders(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { projectId: string; policy: SeverityPolicy },
): Promise<void> {
  const now = deps.clock.now();
  for (const { case_id: caseId } of await severityRowsOfProject(trx, input.projectId)) {
    // Each case under its own lock, read again after it: a severity change committed meanwhile is
    // the one the new time is computed from (not a stale read from before the lock).
    await lockCase(trx, caseId);
    const found = await caseWithProject(trx, caseId);
    const row = await findSeverityRow(trx, caseId);
    if (!found || !row) continue;
    const next = remindable(found.theCase.state)
      ? nextReminderAt(input.policy, severityOf(row.effective_severity), new Date(found.theCase.updated_at))
      : null;
    const at = next && next < now ? now : next;
    const text = at ? iso(at) : null;
    if (text === row.next_reminder_at) continue;
    await setNextReminder(trx, caseId, text);
    if (at && text) await enqueue(trx, deps.clock, { kind: 'case.remind', caseId, dueAt: text }, { runAt: at });
  }
}
