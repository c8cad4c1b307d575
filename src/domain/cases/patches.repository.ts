import type { Insertable, Selectable } from 'kysely';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { PatchesTable, PatchReviewsTable } from './fix.table.js';

export type PatchRow = Selectable<PatchesTable>;

/** A patch without its content (which may be 2 MB), with its branch's name and its uploader's. */
export interface PatchListRow {
  id: string;
  case_id: string;
  branch_id: string;
  branch_name: string;
  filename: string;
  kind: string;
  sha256: string;
  status: string;
  uploaded_by: string | null;
  uploader_name: string | null;
  uploaded_at: string;
}

export interface ReviewListRow {
  id: string;
  patch_id: string;
  reviewer_id: string | null;
  reviewer_name: string | null;
  verdict: string;
  comment: string | null;
  at: string;
}

function patchList(db: DbOrTrx) {
  return db
    .selectFrom('patches')
    .innerJoin('release_branches', 'release_branches.id', 'patches.branch_id')
    .leftJoin('users', 'users.id', 'patches.uploaded_by')
    .select([
      'patches.id',
      'patches.case_id',
      'patches.branch_id',
      'release_branches.name as branch_name',
      'patches.filename',
      'patches.kind',
      'patches.sha256',
      'patches.status',
      'patches.uploaded_by',
      'users.name as uploader_name',
      'patches.uploaded_at',
    ]);
}

/** Every patch of a case, newest first per branch. */
export async function patchRowsOfCase(db: DbOrTrx, caseId: string): Promise<PatchListRow[]> {
  return patchList(db)
    .where('patches.case_id', '=', caseId)
    .orderBy('release_branches.name')
    .orderBy('patches.uploaded_at', 'desc')
    .orderBy('patches.id')
    .execute();
}

/** A patch of the case with its content, or undefined (a patch of another case is not found either). */
export async function findPatchRow(
  db: DbOrTrx,
  caseId: string,
  patchId: string,
): Promise<(PatchListRow & { content: string }) | undefined> {
  return patchList(db)
    .select('patches.content')
    .where('patches.case_id', '=', caseId)
    .where('patches.id', '=', patchId)
    .executeTakeFirst();
}

export async function insertPatch(trx: Trx, row: Insertable<PatchesTable>): Promise<void> {
  await trx.insertInto('patches').values(row).execute();
}

/** Marks the branch's current patch (if any) superseded; the caller holds the case's lock. */
export async function supersedePatches(trx: Trx, caseId: string, branchId: string): Promise<string[]> {
  const current = await trx
    .selectFrom('patches')
    .select('id')
    .where('case_id', '=', caseId)
    .where('branch_id', '=', branchId)
    .where('status', '!=', 'superseded')
    .execute();
  if (current.length === 0) return [];
  const ids = current.map((r) => r.id);
  await trx.updateTable('patches').set({ status: 'superseded' }).where('id', 'in', ids).execute();
  return ids;
}

export async function updatePatchStatus(trx: Trx, patchId: string, status: string): Promise<void> {
  await trx.updateTable('patches').set({ status }).where('id', '=', patchId).execute();
}

export async function insertReview(trx: Trx, row: Insertable<PatchReviewsTable>): Promise<void> {
  await trx.insertInto('patch_reviews').values(row).execute();
}

/** The reviews of these patches, oldest first. */
export async function reviewRowsOf(db: DbOrTrx, patchIds: readonly string[]): Promise<ReviewListRow[]> {
  if (patchIds.length === 0) return [];
  return db
    .selectFrom('patch_reviews')
    .leftJoin('users', 'users.id', 'patch_reviews.reviewer_id')
    .select([
      'patch_reviews.id',
      'patch_reviews.patch_id',
      'patch_reviews.reviewer_id',
      'users.name as reviewer_name',
      'patch_reviews.verdict',
      'patch_reviews.comment',
      'patch_reviews.at',
    ])
    .where('patch_reviews.patch_id', 'in', patchIds)
    .orderBy('patch_reviews.at')
    .orderBy('patch_reviews.id')
    .execute();
}

/** The status of each branch's current (not superseded) patch: branch id -> status. */
export async function currentPatchStatuses(db: DbOrTrx, caseId: string): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('patches')
    .select(['branch_id', 'status'])
    .where('case_id', '=', caseId)
    .where('status', '!=', 'superseded')
    .execute();
  return new Map(rows.map((r) => [r.branch_id, r.status]));
}
