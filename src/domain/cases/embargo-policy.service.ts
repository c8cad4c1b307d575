import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import { defaultEmbargoPolicy, type EmbargoPolicy, parseEmbargoPolicy, WEEKDAYS } from './embargo-policy.js';
import {
  deleteEmbargoPolicyRow,
  type EmbargoPolicyRow,
  findEmbargoPolicyRow,
  lockProjectPolicies,
  upsertEmbargoPolicyRow,
} from './embargo-policy.repository.js';

// A project's embargo policy (rules in embargo-policy.ts; embargo.service.ts reads the one in
// effect). No stored row means the defaults, so a project that never chose follows later changes
// of them. A change binds embargoes planned from then on: those already planned keep their dates,
// since distributors and the public may already have been told them.

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;

export interface StoredEmbargoPolicy {
  policy: EmbargoPolicy;
  /** True while the project has no policy of its own and follows the defaults. */
  isDefault: boolean;
  updatedAt: string | null;
  /** The name of the user who last changed it; null for the defaults, a system change or a deleted account. */
  updatedByName: string | null;
}

const defaults: StoredEmbargoPolicy = {
  policy: defaultEmbargoPolicy,
  isDefault: true,
  updatedAt: null,
  updatedByName: null,
};

const toStored = (row: EmbargoPolicyRow): StoredEmbargoPolicy => ({
  // Stored text was written by parseEmbargoPolicy; parsing it again keeps one reader of the shape.
  policy: parseEmbargoPolicy(JSON.parse(row.policy)),
  isDefault: false,
  updatedAt: row.updated_at,
  updatedByName: row.updated_by_name,
});

/** The policy in effect with who changed it last, for the settings page and the API. */
export async function getStoredEmbargoPolicy(db: DbOrTrx, projectId: string): Promise<StoredEmbargoPolicy> {
  const row = await findEmbargoPolicyRow(db, projectId);
  return row ? toStored(row) : defaults;
}

/** The policy as numbers only, for the audit log: weekdays by their number, 0 for Sunday. */
function auditForm(policy: EmbargoPolicy): Record<string, number | number[]> {
  const { releaseWeekdays, ...counts } = policy;
  return { ...counts, releaseWeekdays: releaseWeekdays.map((d) => WEEKDAYS.indexOf(d)) };
}

/**
 * The stored text as it was, not re-checked (a policy today's rules refuse can still be replaced),
 * kept to its numbers and known weekdays.
 */
function storedAuditForm(text: string): Record<string, number | number[]> {
  const raw: unknown = JSON.parse(text);
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const out: Record<string, number | number[]> = {};
  for (const [key, value] of Object.entries(o)) {
    if (typeof value === 'number') out[key] = value;
    else if (Array.isArray(value)) {
      out[key] = value.map((d) => WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number])).filter((i) => i >= 0);
    }
  }
  return out;
}

/**
 * Replaces the project's policy after checking all of it (VALIDATION_FAILED naming the field, and
 * nothing stored); audited with the policy before and after. Saving the policy already in effect
 * stores and audits nothing.
 */
export async function updateEmbargoPolicy(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { by: ActedBy; projectId: string; policy: unknown },
): Promise<EmbargoPolicy> {
  const policy = parseEmbargoPolicy(input.policy);
  await lockProjectPolicies(trx, input.projectId);
  const row = await findEmbargoPolicyRow(trx, input.projectId);
  const text = JSON.stringify(policy);
  // Both texts come from parseEmbargoPolicy, whose output has a fixed key order.
  if (text === (row?.policy ?? JSON.stringify(defaultEmbargoPolicy))) return policy;
  const { actor, origin } = input.by;
  await upsertEmbargoPolicyRow(trx, {
    project_id: input.projectId,
    policy: text,
    updated_at: iso(deps.clock.now()),
    updated_by: actor.kind === 'user' ? actor.userId : null,
  });
  await recordAudit(trx, deps.clock, {
    actor,
    origin,
    projectId: input.projectId,
    action: 'embargo.policy_updated',
    subjectType: 'project',
    subjectId: input.projectId,
    detail: {
      // null: the project followed the defaults until now.
      previous: row ? storedAuditForm(row.policy) : null,
      policy: auditForm(policy),
    },
  });
  return policy;
}

/** Drops the project's own policy so that the defaults apply again; audited. Returns whether it had one. */
export async function resetEmbargoPolicy(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { by: ActedBy; projectId: string },
): Promise<boolean> {
  await lockProjectPolicies(trx, input.projectId);
  const row = await findEmbargoPolicyRow(trx, input.projectId);
  if (!row || !(await deleteEmbargoPolicyRow(trx, input.projectId))) return false;
  await recordAudit(trx, deps.clock, {
    ...input.by,
    projectId: input.projectId,
    action: 'embargo.policy_reset',
    subjectType: 'project',
    subjectId: input.projectId,
    detail: { previous: storedAuditForm(row.policy), policy: auditForm(defaultEmbargoPolicy) },
  });
  return true;
}
