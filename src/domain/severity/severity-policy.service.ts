import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Actor } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { defaultSeverityPolicy, parseSeverityPolicy, type SeverityPolicy } from './severity-policy.js';
import { rescheduleProjectReminders } from './case-reminders.js';
import {
  deleteSeverityPolicyRow,
  findSeverityPolicyRow,
  lockSeverityPolicyRow,
  type SeverityPolicyRow,
  upsertSeverityPolicyRow,
} from './severity-policy.repository.js';

// A project's severity policy (rules in severity-policy.ts). No stored row means the defaults, so
// a project that never chose follows any later change of the defaults; saving the policy in effect
// unchanged stores nothing, for the same reason.

export interface StoredSeverityPolicy {
  policy: SeverityPolicy;
  /** True while the project has no policy of its own and follows the defaults. */
  isDefault: boolean;
  updatedAt: string | null;
  /** The id of the user who last changed it; null for the defaults, a system change or a deleted account. */
  updatedBy: string | null;
  updatedByName: string | null;
}

export interface SeverityPolicyChange {
  actor: Actor;
  origin: RequestOrigin;
  projectId: string;
  /** Untrusted: a JSON body or a form already put in the policy's shape. */
  policy: unknown;
}

const defaults: StoredSeverityPolicy = {
  policy: defaultSeverityPolicy,
  isDefault: true,
  updatedAt: null,
  updatedBy: null,
  updatedByName: null,
};

function toStored(row: SeverityPolicyRow): StoredSeverityPolicy {
  return {
    // Stored text was written by parseSeverityPolicy; parsing it again keeps one reader of the shape.
    policy: parseSeverityPolicy(JSON.parse(row.policy)),
    isDefault: false,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
    updatedByName: row.updated_by_name,
  };
}

/** The policy in effect for the project: its own, or the defaults. */
export async function getSeverityPolicy(db: DbOrTrx, projectId: string): Promise<StoredSeverityPolicy> {
  const row = await findSeverityPolicyRow(db, projectId);
  return row ? toStored(row) : defaults;
}

/**
 * Replaces the project's policy after checking all of it (VALIDATION_FAILED naming the field, and
 * nothing stored); audits the policy before and after. `changed` is false when it was already in effect.
 */
export async function updateSeverityPolicy(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: SeverityPolicyChange,
): Promise<StoredSeverityPolicy & { changed: boolean }> {
  const policy = parseSeverityPolicy(input.policy);
  await lockSeverityPolicyRow(trx, input.projectId);
  const row = await findSeverityPolicyRow(trx, input.projectId);
  const text = JSON.stringify(policy);
  // Both texts come from parseSeverityPolicy, whose output has a fixed key order.
  if (text === (row?.policy ?? JSON.stringify(defaultSeverityPolicy))) {
    return { ...(row ? toStored(row) : defaults), changed: false };
  }
  const at = iso(deps.clock.now());
  const by = input.actor.kind === 'user' ? input.actor : null;
  await upsertSeverityPolicyRow(trx, {
    project_id: input.projectId,
    policy: text,
    updated_at: at,
    updated_by: by?.userId ?? null,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.projectId,
    action: 'severity-policy.updated',
    subjectType: 'project',
    subjectId: input.projectId,
    // The stored text as it was, not re-checked: a policy today's rules refuse can still be replaced.
    detail: { previous: row ? JSON.parse(row.policy) : defaultSeverityPolicy, wasDefault: !row, policy },
  });
  await rescheduleProjectReminders(trx, deps, { projectId: input.projectId, policy });
  return {
    policy,
    isDefault: false,
    updatedAt: at,
    updatedBy: by?.userId ?? null,
    updatedByName: by?.name ?? null,
    changed: true,
  };
}

/** Drops the project's own policy so that the defaults apply again; audited when there was one. */
export async function resetSeverityPolicy(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: Omit<SeverityPolicyChange, 'policy'>,
): Promise<StoredSeverityPolicy & { changed: boolean }> {
  await lockSeverityPolicyRow(trx, input.projectId);
  const row = await findSeverityPolicyRow(trx, input.projectId);
  if (!row) return { ...defaults, changed: false };
  await deleteSeverityPolicyRow(trx, input.projectId);
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.projectId,
    action: 'severity-policy.reset',
    subjectType: 'project',
    subjectId: input.projectId,
    detail: { previous: JSON.parse(row.policy), policy: defaultSeverityPolicy },
  });
  await rescheduleProjectReminders(trx, deps, { projectId: input.projectId, policy: defaultSeverityPolicy });
  return { ...defaults, changed: true };
}
