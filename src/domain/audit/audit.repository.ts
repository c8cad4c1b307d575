import type { DbOrTrx } from '../../db/types.js';
import type { AuditLogTable } from './audit.table.js';

export async function insertAudit(db: DbOrTrx, row: AuditLogTable): Promise<void> {
  await db.insertInto('audit_log').values(row).execute();
}

export async function listAudit(
  db: DbOrTrx,
  filter: { projectId: string; limit: number; before?: string },
): Promise<AuditLogTable[]> {
  let q = db.selectFrom('audit_log').selectAll().where('project_id', '=', filter.projectId);
  if (filter.before) q = q.where('at', '<', filter.before);
  return q.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
}
