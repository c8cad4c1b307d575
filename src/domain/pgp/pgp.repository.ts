import type { Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { ProjectPgpKeysTable } from './pgp.table.js';

// The only file that builds SQL for OpenPGP keys: the project's, and the reporters' on their reports.

export type ProjectKeyRow = Selectable<ProjectPgpKeysTable>;

export async function findProjectKeyRow(db: DbOrTrx, projectId: string): Promise<ProjectKeyRow | undefined> {
  return db.selectFrom('project_pgp_keys').selectAll().where('project_id', '=', projectId).executeTakeFirst();
}

/** One key per project: a new one replaces the old. */
export async function saveProjectKeyRow(trx: Trx, row: ProjectKeyRow): Promise<void> {
  await trx.deleteFrom('project_pgp_keys').where('project_id', '=', row.project_id).execute();
  await trx.insertInto('project_pgp_keys').values(row).execute();
}

export async function deleteProjectKeyRow(trx: Trx, projectId: string): Promise<void> {
  await trx.deleteFrom('project_pgp_keys').where('project_id', '=', projectId).execute();
}

/** The report's reporter address (null when they gave none) and their key. */
export async function findReporterOfReport(
  db: DbOrTrx,
  reportId: string,
): Promise<{ reporter_email: string | null; reporter_pgp_key: string | null } | undefined> {
  return db
    .selectFrom('reports')
    .select(['reporter_email', 'reporter_pgp_key'])
    .where('id', '=', reportId)
    .executeTakeFirst();
}

export async function setReporterKey(trx: Trx, reportId: string, armored: string): Promise<void> {
  await trx.updateTable('reports').set({ reporter_pgp_key: armored }).where('id', '=', reportId).execute();
}

/** Mail to the reporter still waiting in the queue is encrypted too (see rememberReporterKey). */
export async function encryptQueuedMailTo(
  trx: Trx,
  options: { reportId: string; to: string; armored: string },
): Promise<void> {
  await trx
    .updateTable('outbound_emails')
    .set({ encrypt_to_key: options.armored })
    .where('report_id', '=', options.reportId)
    .where('to_address', '=', options.to)
    .where('status', '=', 'queued')
    .execute();
}

/** Keys this address sent with its earlier reports to the project, newest first. */
export async function reporterKeysOf(db: DbOrTrx, options: { projectId: string; email: string }): Promise<string[]> {
  const rows = await db
    .selectFrom('reports')
    .select('reporter_pgp_key')
    .where('project_id', '=', options.projectId)
    .where((eb) => eb(eb.fn('lower', ['reporter_email']), '=', options.email.toLowerCase()))
    .where('reporter_pgp_key', 'is not', null)
    .orderBy('received_at', 'desc')
    .limit(5)
    .execute();
  return [...new Set(rows.map((r) => r.reporter_pgp_key).filter((k): k is string => k !== null))];
}

/** The project's first intake address (the oldest), e.g. `security@example.org`, or undefined. */
export async function firstIntakeAddress(db: DbOrTrx, projectId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('intake_addresses')
    .select('address')
    .where('project_id', '=', projectId)
    .orderBy('created_at')
    .orderBy('address')
    .executeTakeFirst();
  return row?.address;
}
