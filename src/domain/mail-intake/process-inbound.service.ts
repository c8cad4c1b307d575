import { iso } from '../../clock.js';
import { toBuffer } from '../../db/dialect.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { isDomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import { authorize } from '../../policies/policy.js';
import { noOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { adoptKeyOfNewReport, keptKeyFingerprint, keyOfferedNotAdopted } from '../pgp/reporter-key.js';
import type { Member, Project } from '../projects/projects.js';
import { getProjectById } from '../projects/projects.service.js';
import { submitReport } from '../reports/intake.service.js';
import { LIMITS } from '../reports/intake-input.js';
import { postReporterMessage } from '../reports/reporter.service.js';
import type { Report } from '../reports/reports.js';
import { sendMessage } from '../reports/triage.service.js';
import { ignoreReason } from './auto-mail.js';
import { findInboundRow, findProcessedByMessageId, type InboundRow, updateInboundRow } from './inbound.repository.js';
import { fitText } from './mail-text.js';
import { judgeSignature } from './mail-signature.js';
import { type MailAddress, type ReadMail, readInboundMail, UnreadableMailError } from './read-mail.js';
import { findThread, memberBySender } from './thread.js';

export type ProcessDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'secret' | 'logger'>;
export type ProcessOutcome = 'skipped' | 'processed' | 'ignored' | 'quarantined';

const MAIL_IN: Actor = { kind: 'system', label: 'mail-in' };
const REASON_MAX = 500;

/** Thrown inside the transaction when another worker already took the message: rolls back, changes nothing. */
class AlreadyTaken extends Error {}

type Final =
  | { status: 'processed'; reason: string; reportId: string }
  /** `clearRaw`: the copy is not worth keeping (a duplicate of a message already filed). */
  | { status: 'ignored' | 'quarantined'; reason: string; clearRaw?: boolean };

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
    if (earlier) {
      return settle({ status: 'ignored', reason: 'Already received: a message with this Message-ID.', clearRaw: true });
    }
  }

  const envelopeTo = JSON.parse(row.envelope_to) as string[];
  const thread = await findThread(trx, deps, { projectId: project.id, envelopeTo, mail: { ...mail, from } });
  // Judged against the key kept on the report before this message (none for a new report).
  const kept = thread ? await keptKeyFingerprint(trx, thread.report.id) : null;
  const entryDetail: Record<string, unknown> = {
    via: 'email',
    encrypted: mail.encrypted,
    signature: judgeSignature(mail.signature, kept),
    ...partly(mail),
  };
  if (!thread) return newReport(trx, deps, { project, mail, from, entryDetail, settle });

  const { report } = thread;
  const on = `${report.trackingId} (${thread.via})`;
  if (thread.via === 'member-reply-address') {
    // The address was given to this member only, but anyone who saw it can write to it: the mail
    // must also come From the member's own account address (best effort: From can be forged by
    // whoever also holds the address, which only the member and their mail systems should).
    if (thread.member.email.toLowerCase() !== from.address) {
      return settle({
        status: 'quarantined',
        reason: `Sent to a team member's reply address for ${on}, but From is not that member's account address: not posted.`,
      });
    }
    if (mail.text.length > LIMITS.message) {
      return settle({
        status: 'quarantined',
        reason: `A team member's reply on ${on} is longer than ${LIMITS.message} characters: not posted (a reply to the reporter is never cut).`,
      });
    }
    await postTeamMessage(trx, deps, { project, report, member: thread.member, mail, entryDetail });
    return settle({ status: 'processed', reason: `Team message on ${on}`, reportId: report.id });
  }
  // A team member's From on mail that threaded another way: either the member did not answer their
  // own notification, or someone forged their address. Never the team's message, nor the reporter's.
  if (await memberBySender(trx, project.id, from.address)) {
    return settle({
      status: 'quarantined',
      reason:
        `From is a team member's address, but the message reached ${on} without that member's own reply address ` +
        "(the Reply-To of their notifications): not posted as the team's message nor as the reporter's.",
    });
  }
  const fitted = fitText(mail.text, { limit: LIMITS.message, attachments: mail.attachments, ...fileLimits(deps) });
  if ('refused' in fitted) return settle({ status: 'quarantined', reason: fitted.refused });
  // Only the report-creating message may set the reporter's key; a later one is recorded as offered.
  const offered = await keyOfferedNotAdopted(mail.senderKey, kept);
  if (offered) entryDetail.keyOffered = { fingerprint: offered, adopted: false };
  await postReporterMessage(trx, deps, {
    report,
    body: fitted.text,
    attachments: fitted.attachments,
    origin: noOrigin,
    entryDetail,
  });
  return settle({ status: 'processed', reason: `Reporter's message on ${on}`, reportId: report.id });
}

type Settle = (final: Final) => Promise<ProcessOutcome>;

function fileLimits(deps: ProcessDeps): { maxAttachments: number; maxBytes: number } {
  return { maxAttachments: deps.config.intake.maxAttachments, maxBytes: deps.config.intake.maxAttachmentBytes };
}

/** Text outside the signed or the encrypted part, shown on the entry. */
function partly(mail: ReadMail): { partlySigned?: true; partlyEncrypted?: true } {
  return {
    ...(mail.partlySigned ? { partlySigned: true as const } : {}),
    ...(mail.partlyEncrypted ? { partlyEncrypted: true as const } : {}),
  };
}

async function postTeamMessage(
  trx: Trx,
  deps: ProcessDeps,
  options: { project: Project; report: Report; member: Member; mail: ReadMail; entryDetail: Record<string, unknown> },
): Promise<void> {
  const { project, report, member, mail } = options;
  const actor: Actor = {
    kind: 'user',
    userId: member.userId,
    email: member.email,
    name: member.name,
    isInstanceAdmin: false,
    roles: new Map([[project.id, member.role]]),
  };
  authorize(actor, 'report.message', { projectId: project.id, reportId: report.id });
  const detail = {
    ...options.entryDetail,
    ...(mail.attachments.length ? { attachmentsLeftOut: mail.attachments.length } : {}),
  };
  const message = mail.text.trim() === '' ? '(The message had no text.)' : mail.text;
  await sendMessage(trx, deps, {
    actor,
    origin: noOrigin,
    projectId: project.id,
    reportId: report.id,
    message,
    detail,
  });
}

async function newReport(
  trx: Trx,
  deps: ProcessDeps,
  options: {
    project: Project;
    mail: ReadMail;
    from: MailAddress;
    entryDetail: Record<string, unknown>;
    settle: Settle;
  },
): Promise<ProcessOutcome> {
  const { project, mail, from, settle } = options;
  const fitted = fitText(mail.text, { limit: LIMITS.description, attachments: mail.attachments, ...fileLimits(deps) });
  if ('refused' in fitted) return settle({ status: 'quarantined', reason: fitted.refused });
  const { report } = await submitReport(
    trx,
    deps,
    {
      title: (mail.subject ?? '(no subject)').slice(0, LIMITS.title),
      description: fitted.text,
      reporterName: from.name,
      reporterEmail: from.address,
      credit: 'name',
      attachments: fitted.attachments,
    },
    { projectSlug: project.slug, source: 'email', origin: noOrigin, entryDetail: options.entryDetail },
  );
  // After the acknowledgement of receipt was queued: adopting the key encrypts it too.
  await adoptKeyOfNewReport(trx, { report, mail, date: deps.clock.now() });
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
    // report); a processed message lives on as its report, and a duplicate as the first copy, so their copies go.
    ...(final.status === 'processed' || final.clearRaw ? { raw: null } : {}),
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
