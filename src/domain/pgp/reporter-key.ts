import * as openpgp from 'openpgp';
import type { Trx } from '../../db/types.js';
import { encryptQueuedMailTo, findReporterOfReport, setReporterKey } from './pgp.repository.js';
import { usablePublicKey } from './sender-keys.js';

async function fingerprintOf(armored: string | null): Promise<string | null> {
  if (!armored) return null;
  try {
    return (await openpgp.readKey({ armoredKey: armored })).getFingerprint();
  } catch {
    return null;
  }
}

/**
 * Keeps the reporter's public key on their report, so that mail to them is encrypted from now on;
 * mail to them already waiting in the queue (the acknowledgement of receipt queued by the same
 * transaction, say) is encrypted too. Only the public part is kept, and only a key that can be
 * encrypted to at `date`; anything else is ignored rather than refusing the mail.
 *
 * A key already kept is replaced only by a message signed with it (`signedBy` is the fingerprint
 * of the key that verified the message's signature): anyone can put the reporter's address in a
 * From header, and a stranger's key would make every later reply unreadable to the reporter.
 * Returns whether the report now has this key.
 */
export async function rememberReporterKey(
  trx: Trx,
  options: { reportId: string; armored: string; date: Date; signedBy?: string | null },
): Promise<boolean> {
  let key: openpgp.PublicKey | null;
  try {
    key = await usablePublicKey(await openpgp.readKey({ armoredKey: options.armored }), options.date);
  } catch {
    return false;
  }
  const report = await findReporterOfReport(trx, options.reportId);
  if (!key || !report) return false;
  const kept = await fingerprintOf(report.reporter_pgp_key);
  if (kept && kept !== key.getFingerprint() && options.signedBy !== kept) return false;
  const armored = key.armor();
  if (report.reporter_pgp_key !== armored) await setReporterKey(trx, options.reportId, armored);
  if (report.reporter_email)
    await encryptQueuedMailTo(trx, { reportId: options.reportId, to: report.reporter_email, armored });
  return true;
}

/**
 * For the message that created a report: keeps the key it carried when its sender is the report's
 * reporter. Only this first message may set the key: anyone can put the reporter's address in a
 * From header of a later mail, or write to the report's reply address, and a stranger's key would
 * make every later reply unreadable to the reporter (and readable to the stranger).
 */
export async function adoptKeyOfNewReport(
  trx: Trx,
  options: {
    report: { id: string; reporterEmail: string | null };
    mail: { from: { address: string } | null; senderKey: string | null };
    date: Date;
  },
): Promise<void> {
  const { report, mail } = options;
  if (!mail.senderKey || !mail.from || mail.from.address.toLowerCase() !== report.reporterEmail?.toLowerCase()) return;
  await rememberReporterKey(trx, { reportId: report.id, armored: mail.senderKey, date: options.date });
}

/** The fingerprint of the key kept on the report (the reporter's), or null. */
export async function keptKeyFingerprint(trx: Trx, reportId: string): Promise<string | null> {
  return fingerprintOf((await findReporterOfReport(trx, reportId))?.reporter_pgp_key ?? null);
}

/**
 * For a later message on a report: the fingerprint of a key it offered that is not the one kept,
 * which is not adopted (see adoptKeyOfNewReport) and is recorded as offered; null when none.
 */
export async function keyOfferedNotAdopted(senderKey: string | null, kept: string | null): Promise<string | null> {
  const offered = await fingerprintOf(senderKey);
  return offered && offered !== kept ? offered : null;
}
