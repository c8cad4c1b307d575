import { iso } from '../../clock.js';
import { toBuffer } from '../../db/dialect.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { isDomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import { authorize } from '../../policies/policy.js';
import { noOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { rememberSenderKey } from '../pgp/reporter-key.js';
import { getProjectById } from '../projects/projects.service.js';
import { submitReport } from '../reports/intake.service.js';
import { LIMITS } from '../reports/intake-input.js';
import { postReporterMessage } from '../reports/reporter.service.js';
import { sendMessage } from '../reports/triage.service.js';
import { ignoreReason, stripQuotedTail } from './auto-mail.js';
import { findInboundRow, findProcessedByMessageId, type InboundRow, updateInboundRow } from './inbound.repository.js';
import { fitText } from './mail-text.js';
import { type ReadMail, readInboundMail, UnreadableMailError } from './read-mail.js';
import { findThread, memberBySender } from './thread.js';

export type ProcessDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'secret' | 'logger'>;
export type ProcessOutcome = 'skipped' | 'processed' | 'ignored' | 'quarantined';

const MAIL_IN: Actor = { kind: 'system', label: 'mail-in' };
const REASON_MAX = 500;

/** Thrown inside the transaction when another worker already took the message: rolls back, changes nothing. */
class AlreadyTaken extends Error {}

type Final =
  { status: 'processed'; reason: string; reportId: string } | { status: 'ignored' | 'quarantined'; reason: string };

/**
 * Processes one stored message (the 'mail.process' job); a message no longer 'received' is skipped,
 * so running it twice changes nothing. In one transaction it becomes a new report, a reporter's
 * message or a team member's message on the report it answers, or is ignored (auto-replies,
 * bounces, bulk, spam) with the reason. What cannot be read or filed is quarantined with the
 * reason and its raw bytes kept; those of a processed message are cleared.
 */
export async function processInboundMessage(
  deps: ProcessDeps,
  options: { inboundId: string; lastAttempt?: boolean },
): Promise<ProcessOutcome> {
  const row = await findInboundRow(deps.db, options.inboundId);
  if (!row || row.status !== 'received') return 'skipped';
  const failed = (reason: string) => settleApart(deps, row, { status: 'quarantined', reason });
  if (!row.raw) return failed('The raw message is missing.');

  let mail: ReadMail;
  try {
    mail = await readInboundMail(deps, { raw: toBuffer(row.raw), projectId: row.project_id });
  } catch (err) {
    if (err instanceof UnreadableMailError) return failed(err.message);
    if (isDomainError(err)) return failed(`${err.code}: ${err.message}`);
    if (options.lastAttempt) return failed(`Reading failed: ${String(err)}`);
    throw err;
  }

  try {
    return await deps.db.transaction().execute((trx) => decide(trx, deps, row, mail));
  } catch (err) {
    if (err instanceof AlreadyTaken) return 'skipped';
    // A refusal by the report services (a closed conversation, a limit, a bad sender address): the
    // transaction rolled back, and the message waits in quarantine for a person.
    if (isDomainError(err) && err.code === 'REPLIES_CLOSED') {
      return settleApart(deps, row, {
        status: 'ignored',
        reason: 'The report was closed as spam; it takes no replies.',
      });
    }
    if (isDomainError(err)) return failed(`${err.code}: ${err.message}`);
    if (options.lastAttempt) return failed(`Processing failed: ${String(err)}`);
    throw err;
  }
}

async function decide(trx: Trx, deps: ProcessDeps, row: InboundRow, mail: ReadMail): Promise<ProcessOutcome> {
  // Taken inside this transaction: a second worker's update waits for this one and then finds nothing.
  if (!(await updateInboundRow(trx, row.id, 'received', { status: 'processing' }))) throw new AlreadyTaken();
  const settle = (final: Final) => writeOutcome(trx, deps, row, final);

  const ignored = ignoreReason(mail, { source: row.source, from: row.envelope_from });
  if (ignored) return settle({ status: 'ignored', reason: ignored });
  const project = row.project_id ? await getProjectById(trx, row.project_id) : undefined;
  if (!project) return settle({ status: 'quarantined', reason: 'The message is addressed to no project.' });
  const from = mail.from;
  if (!from) return settle({ status: 'quarantined', reason: 'The message has no sender (From) address.' });
  if (mail.messageId) {
    const earlier = await findProcessedByMessageId(trx, {
      projectId: project.id,
      messageId: mail.messageId,
      excludeId: row.id,
    });
    // The sending server resent a message we had accepted (it missed our answer): filed once only.
    // Best effort: two copies processed at the very same moment would both be filed.
    if (earlier) return settle({ status: 'ignored', reason: 'Already received: a message with this Message-ID.' });
  }

  const entryDetail = { via: 'email', encrypted: mail.encrypted, signature: mail.signature };
  const envelopeTo = JSON.parse(row.envelope_to) as string[];
  const thread = await findThread(trx, deps, { projectId: project.id, envelopeTo, mail: { ...mail, from } });
  if (thread) {
    const { report } = thread;
    const member = await memberBySender(trx, project.id, from.address);
    if (member) {
      const actor: Actor = {
        kind: 'user',
        userId: member.userId,
        email: member.email,
        name: member.name,
        isInstanceAdmin: false,
        roles: new Map([[project.id, member.role]]),
      };
      authorize(actor, 'report.message', { projectId: project.id, reportId: report.id });
      const { text } = fitText(stripQuotedTail(mail.text), LIMITS.message, []);
      const detail = {
        ...entryDetail,
        ...(mail.attachments.length ? { attachmentsLeftOut: mail.attachments.length } : {}),
      };
      await sendMessage(trx, deps, {
        actor,
        origin: noOrigin,
        projectId: project.id,
        reportId: report.id,
        message: text,
        detail,
      });
      return settle({
        status: 'processed',
        reason: `Team message on ${report.trackingId} (${thread.via})`,
        reportId: report.id,
      });
    }
    const { text, attachments } = fitText(stripQuotedTail(mail.text), LIMITS.message, mail.attachments);
    await postReporterMessage(trx, deps, { report, body: text, attachments, origin: noOrigin, entryDetail });
    await rememberSenderKey(trx, { report, mail, date: deps.clock.now() });
    return settle({
      status: 'processed',
      reason: `Reporter's message on ${report.trackingId} (${thread.via})`,
      reportId: report.id,
    });
  }

  const { text, attachments } = fitText(mail.text, LIMITS.description, mail.attachments);
  const { report } = await submitReport(
    trx,
    deps,
    {
      title: (mail.subject ?? '(no subject)').slice(0, LIMITS.title),
      description: text,
      reporterName: from.name,
      reporterEmail: from.address,
      credit: 'name',
      attachments,
    },
    { projectSlug: project.slug, source: 'email', origin: noOrigin, entryDetail },
  );
  // After the acknowledgement of receipt was queued: rememberSenderKey encrypts it too.
  await rememberSenderKey(trx, { report, mail, date: deps.clock.now() });
  return settle({ status: 'processed', reason: `New report ${report.trackingId}`, reportId: report.id });
}

/** Writes the outcome (from 'processing', inside decide's transaction) and audits what is not a report. */
async function writeOutcome(trx: Trx, deps: ProcessDeps, row: InboundRow, final: Final): Promise<ProcessOutcome> {
  const reason = final.reason.slice(0, REASON_MAX);
  await updateInboundRow(trx, row.id, 'processing', {
    status: final.status,
    reason,
    report_id: final.status === 'processed' ? final.reportId : null,
    processed_at: iso(deps.clock.now()),
    // Kept for quarantine (someone must look at it) and ignored mail (which may be a misjudged
    // report); a processed message lives on as its report, so its copy goes.
    ...(final.status === 'processed' ? { raw: null } : {}),
  });
  if (final.status !== 'processed') {
    await recordAudit(trx, deps.clock, {
      actor: MAIL_IN,
      origin: noOrigin,
      projectId: row.project_id,
      action: `mail.${final.status}`,
      subjectType: 'inbound_message',
      subjectId: row.id,
      detail: { reason },
    });
  }
  return final.status;
}

/** Settles a message in a transaction of its own (after a failed read or a rolled-back attempt). */
async function settleApart(
  deps: ProcessDeps,
  row: InboundRow,
  final: { status: 'ignored' | 'quarantined'; reason: string },
): Promise<ProcessOutcome> {
  try {
    return await deps.db.transaction().execute(async (trx) => {
      if (!(await updateInboundRow(trx, row.id, 'received', { status: 'processing' }))) throw new AlreadyTaken();
      return writeOutcome(trx, deps, row, final);
    });
  } catch (err) {
    if (err instanceof AlreadyTaken) return 'skipped';
    throw err;
  }
}
