import type { Clock } from '../../clock.js';
import { iso } from '../../clock.js';
import type { DbOrTrx } from '../../db/types.js';
import { type Actor, actorLabel } from '../../policies/actor.js';
import { newId } from '../ids.js';
import { type AuditEntry, noOrigin, type RequestOrigin } from './audit.js';
import { insertAudit, listAudit } from './audit.repository.js';

export interface AuditInput {
  actor: Actor;
  origin: RequestOrigin;
  projectId: string | null;
  /** Dotted verb, e.g. `report.viewed`, `report.acknowledged`. */
  action: string;
  subjectType: string;
  subjectId: string | null;
  /** Ids, states and reasons only: never report text, secrets or tokens. */
  detail?: Record<string, unknown>;
}

/** Appends to the audit log, in the caller's transaction when it is one, so the act and its record commit together. */
export async function recordAudit(db: DbOrTrx, clock: Clock, input: AuditInput): Promise<void> {
  // Where a reporter wrote from is theirs to keep: many report anonymously, some at personal risk.
  // Everyone else's address is kept (team members, and anonymous sign-in attempts).
  const origin = input.actor.kind === 'reporter' ? noOrigin : input.origin;
  await insertAudit(db, {
    id: newId(),
    at: iso(clock.now()),
    actor_kind: input.actor.kind,
    actor_user_id: input.actor.kind === 'user' ? input.actor.userId : null,
    actor_label: actorLabel(input.actor),
    project_id: input.projectId,
    action: input.action,
    subject_type: input.subjectType,
    subject_id: input.subjectId,
    ip: origin.ip,
    user_agent: origin.userAgent?.slice(0, 300) ?? null,
    detail: input.detail ? JSON.stringify(input.detail) : null,
  });
}

export async function projectAuditLog(
  db: DbOrTrx,
  options: { projectId: string; limit?: number; before?: string; beforeId?: string },
): Promise<AuditEntry[]> {
  const rows = await listAudit(db, {
    projectId: options.projectId,
    limit: options.limit ?? 100,
    before: options.before,
    beforeId: options.beforeId,
  });
  return rows.map((r) => ({
    id: r.id,
    at: r.at,
    actorKind: r.actor_kind,
    actorLabel: r.actor_label,
    projectId: r.project_id,
    action: r.action,
    subjectType: r.subject_type,
    subjectId: r.subject_id,
    ip: r.ip,
    userAgent: r.user_agent,
    detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
  }));
}
