import type { Insertable, Selectable, Updateable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import { OPEN_STATES } from './finding-clocks.js';
import type { FindingsTable } from './scan.table.js';
import { chunks, IDS_PER_STATEMENT } from '../../db/batches.js';

export type FindingRow = Selectable<FindingsTable>;
/** A finding with its branch's name and its owner's name, for listing. */
export type FindingListRow = FindingRow & { branch_name: string; owner_name: string | null };

// Statements stay under both engines' bound-parameter limits (SQLite 32,766; PostgreSQL 65,535):
// a finding row binds 23 values.
const ROWS_PER_INSERT = 500;

/**
 * Takes the branch row's write lock until the transaction ends, so two evaluations (or an upload
 * and an evaluation) of one branch run one after the other; the UPDATE changes nothing. On
 * PostgreSQL a second worker waits here for the first one's commit and then reads what it wrote;
 * SQLite serializes writers anyway. Returns false when the branch does not exist (any more).
 */
export async function lockBranch(trx: Trx, branchId: string): Promise<boolean> {
  const result = await trx
    .updateTable('release_branches')
    .set((eb) => ({ name: eb.ref('name') }))
    .where('id', '=', branchId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The branch with its project, for the notification. */
export async function branchWithProject(db: DbOrTrx, branchId: string) {
  return db
    .selectFrom('release_branches as b')
    .innerJoin('projects as p', 'p.id', 'b.project_id')
    .select(['b.id', 'b.name', 'b.project_id', 'p.slug', 'p.name as project_name'])
    .where('b.id', '=', branchId)
    .executeTakeFirst();
}

/** Every package row of the branch's inventories. */
export async function packagesOfBranch(db: DbOrTrx, branchId: string) {
  return db
    .selectFrom('inventory_packages as ip')
    .innerJoin('inventories as i', 'i.id', 'ip.inventory_id')
    .select(['ip.package_key', 'ip.ecosystem', 'ip.name', 'ip.version'])
    .where('i.branch_id', '=', branchId)
    .orderBy('i.name')
    .orderBy('ip.seq')
    .execute();
}

export async function findingRowsOfBranch(db: DbOrTrx, branchId: string): Promise<FindingRow[]> {
  return db.selectFrom('findings').selectAll().where('branch_id', '=', branchId).execute();
}

/** Inserts findings, skipping any whose key (branch, vulnerability, package, version) exists; returns how many were new. */
export async function insertFindings(trx: Trx, rows: readonly Insertable<FindingsTable>[]): Promise<number> {
  let inserted = 0;
  for (const part of chunks(rows, ROWS_PER_INSERT)) {
    const result = await trx
      .insertInto('findings')
      .values(part)
      .onConflict((oc) => oc.columns(['branch_id', 'vuln_id', 'package_key', 'version']).doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return inserted;
}

export async function updateFinding(trx: Trx, id: string, change: Updateable<FindingsTable>): Promise<void> {
  await trx.updateTable('findings').set(change).where('id', '=', id).execute();
}

/**
 * Findings back in the branch: present again, and unresolved again unless the team resolved them
 * (the state is checked in the statement, so a triage committed meanwhile is not overwritten).
 */
export async function markBack(trx: Trx, ids: readonly string[], at: string): Promise<void> {
  for (const part of chunks(ids, IDS_PER_STATEMENT)) {
    await trx
      .updateTable('findings')
      .set({ present: 1, gone_at: null, last_seen_at: at, updated_at: at })
      .where('id', 'in', part)
      .execute();
    await trx
      .updateTable('findings')
      .set({ resolved_at: null })
      .where('id', 'in', part)
      .where('state', 'in', OPEN_STATES)
      .execute();
  }
}

/** Findings still present: seen again at `at`. */
export async function markSeen(trx: Trx, ids: readonly string[], at: string): Promise<void> {
  for (const part of chunks(ids, IDS_PER_STATEMENT)) {
    await trx.updateTable('findings').set({ last_seen_at: at }).where('id', 'in', part).execute();
  }
}

/**
 * Findings no longer matched. `resolve`: those whose version left the branch, which resolves the
 * open ones (the state is checked in the statement, as in markBack).
 */
export async function markGone(trx: Trx, ids: readonly string[], at: string, resolve: boolean): Promise<void> {
  for (const part of chunks(ids, IDS_PER_STATEMENT)) {
    await trx
      .updateTable('findings')
      .set({ present: 0, gone_at: at, updated_at: at })
      .where('id', 'in', part)
      .execute();
    if (!resolve) continue;
    await trx
      .updateTable('findings')
      .set({ resolved_at: at })
      .where('id', 'in', part)
      .where('state', 'in', OPEN_STATES)
      .where('resolved_at', 'is', null)
      .execute();
  }
}

/** Present findings of the branch nobody was told of yet. */
export async function unnotifiedFindings(db: DbOrTrx, branchId: string): Promise<FindingRow[]> {
  return db
    .selectFrom('findings')
    .selectAll()
    .where('branch_id', '=', branchId)
    .where('present', '=', 1)
    .where('notified_at', 'is', null)
    .orderBy('name')
    .orderBy('version')
    .orderBy('vuln_id')
    .execute();
}

export async function setNotified(trx: Trx, ids: readonly string[], at: string): Promise<void> {
  for (const part of chunks(ids, IDS_PER_STATEMENT)) {
    await trx.updateTable('findings').set({ notified_at: at }).where('id', 'in', part).execute();
  }
}

/** Takes the finding's row lock (see lockBranch) so a triage and an evaluation do not interleave. */
export async function lockFinding(trx: Trx, projectId: string, id: string): Promise<void> {
  await trx
    .updateTable('findings')
    .set((eb) => ({ updated_at: eb.ref('updated_at') }))
    .where('project_id', '=', projectId)
    .where('id', '=', id)
    .execute();
}

export interface FindingFilter {
  projectId: string;
  branchId?: string;
  id?: string;
  state?: string;
  present?: boolean;
  /** Only findings open, present, unresolved and due before this ISO time. */
  overdueAt?: string;
}

export async function listFindingRows(db: DbOrTrx, filter: FindingFilter): Promise<FindingListRow[]> {
  let q = db
    .selectFrom('findings as f')
    .innerJoin('release_branches as b', 'b.id', 'f.branch_id')
    .leftJoin('users as u', 'u.id', 'f.owner_user_id')
    .selectAll('f')
    .select(['b.name as branch_name', 'u.name as owner_name'])
    .where('f.project_id', '=', filter.projectId);
  if (filter.branchId !== undefined) q = q.where('f.branch_id', '=', filter.branchId);
  if (filter.id !== undefined) q = q.where('f.id', '=', filter.id);
  if (filter.state !== undefined) q = q.where('f.state', '=', filter.state);
  if (filter.present !== undefined) q = q.where('f.present', '=', filter.present ? 1 : 0);
  if (filter.overdueAt !== undefined) {
    q = q
      .where('f.state', 'in', OPEN_STATES)
      .where('f.present', '=', 1)
      .where('f.resolved_at', 'is', null)
      .where('f.due_at', '<', filter.overdueAt);
  }
  return q.orderBy('b.name').orderBy('f.due_at').orderBy('f.name').orderBy('f.version').orderBy('f.vuln_id').execute();
}

/**
 * Branches holding at least one inventory; with `since`, only those the vulnerabilities imported
 * or changed at or after it can concern: a package of theirs is named by such a record, or a
 * finding of theirs is about one (a record that was withdrawn or no longer names the package).
 */
export async function branchesToEvaluate(db: DbOrTrx, options: { since?: string; today: string }): Promise<string[]> {
  const { since } = options;
  let q = db
    .selectFrom('release_branches as b')
    .select('b.id')
    .where((eb) => eb.or([eb('b.end_of_support', 'is', null), eb('b.end_of_support', '>=', options.today)]))
    .where((eb) => eb.exists(eb.selectFrom('inventories as i').select('i.id').whereRef('i.branch_id', '=', 'b.id')));
  if (since !== undefined) {
    q = q.where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('inventory_packages as ip')
            .innerJoin('inventories as i', 'i.id', 'ip.inventory_id')
            .innerJoin('vuln_packages as vp', 'vp.package_key', 'ip.package_key')
            .innerJoin('vulns as v', 'v.id', 'vp.vuln_id')
            .select('ip.inventory_id')
            .whereRef('i.branch_id', '=', 'b.id')
            .where('v.imported_at', '>=', since),
        ),
        eb.exists(
          eb
            .selectFrom('findings as f')
            .innerJoin('vulns as v', 'v.id', 'f.vuln_id')
            .select('f.id')
            .whereRef('f.branch_id', '=', 'b.id')
            .where('f.present', '=', 1)
            .where('v.imported_at', '>=', since),
        ),
      ]),
    );
  }
  return (await q.orderBy('b.id').execute()).map((r) => r.id);
}
