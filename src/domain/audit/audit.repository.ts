import type { DbOrTrx } from '../../db/types.js';
import type { AuditLogTable } from './audit.table.js';

export async function insertAudit(db: DbOrTrx, row: AuditLogTable): Promise<void> {
  await db.insertInto('audit_log').values(row).execute();
}

export async function listAudit(
  db: DbOrTrx,
  filter: { projectId: string; limit: number; before?: string; beforeId?: string },
): Promise<AuditLogTable[]> {
  let q = db.selectFrom('audit_log').selectAll().where('project_id', '=', filter.projectId);
  const { before, beforeId } = filter;
  // With beforeId, (at, id) is the cursor: entries written in the same instant are not skipped between pages.
  if (before && beforeId) {
    q = q.where((eb) => eb.or([eb('at', '<', before), eb.and([eb('at', '=', before), eb('id', '<', beforeId)])]));
  } else if (before) q = q.where('at', '<', before);
  return q.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}
