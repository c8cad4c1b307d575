import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import type { Actor } from '../../policies/actor.js';
import type { RequestOrigin } from '../audit/audit.js';
import { recordAudit } from '../audit/audit.service.js';
import { membershipRole } from '../projects/projects.repository.js';
import { isOverdue } from './finding-clocks.js';
import {
  type Finding,
  FINDING_STATES,
  type FindingState,
  isFindingState,
  isJustification,
  NOT_AFFECTED_JUSTIFICATIONS,
  SEVERITY_LABELS,
  toSeverity,
} from './findings.js';
import {
  type FindingFilter,
  type FindingListRow,
  listFindingRows,
  lockFinding,
  updateFinding,
} from './findings.repository.js';
import { vulnInfo } from './vuln-info.js';
import { vulnDetails } from './vulndb.repository.js';

// Reading and triaging findings: the team's VEX statement about each vulnerable version a branch
// ships (in triage, affected, not affected and why, fixed), who owns it, and a note.

export const MAX_FINDING_NOTE = 10_000;

const RESOLVED: readonly FindingState[] = ['not_affected', 'fixed'];
// A record's link is shown as one: anything but a web address (javascript:, data:) is left out.
const WEB_URL = /^https?:\/\/\S+$/i;

function toFinding(
  row: FindingListRow,
  info: { aliases: string[]; url: string | null } | undefined,
  now: Date,
): Finding {
  const state = isFindingState(row.state) ? row.state : 'in_triage';
  const base = {
    state,
    present: row.present === 1,
    resolvedAt: row.resolved_at,
    dueAt: row.due_at,
  };
  return {
    id: row.id,
    projectId: row.project_id,
    branchId: row.branch_id,
    branchName: row.branch_name,
    vulnId: row.vuln_id,
    aliases: info?.aliases ?? [],
    advisoryUrl: info?.url && WEB_URL.test(info.url) ? info.url : null,
    ecosystem: row.ecosystem,
    name: row.name,
    version: row.version,
    summary: row.summary,
    severity: toSeverity(row.severity),
    fixedVersion: row.fixed_version,
    justification: isJustification(row.justification) ? row.justification : null,
    note: row.note,
    owner: row.owner_user_id ? { userId: row.owner_user_id, name: row.owner_name ?? '' } : null,
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    goneAt: row.gone_at,
    updatedAt: row.updated_at,
    notifiedAt: row.notified_at,
    ...base,
    overdue: isOverdue(base, now),
  };
}

const rank = (f: Finding) => SEVERITY_LABELS.indexOf(f.severity);

/**
 * A project's findings, by branch; in each, those still shipped first, then by severity and due
 * date. `overdue` keeps only the overdue ones at `now`.
 */
export async function listFindings(
  db: DbOrTrx,
  input: {
    projectId: string;
    branchId?: string;
    state?: FindingState;
    present?: boolean;
    overdue?: boolean;
    now: Date;
  },
): Promise<Finding[]> {
  const filter: FindingFilter = { projectId: input.projectId };
  if (input.branchId !== undefined) filter.branchId = input.branchId;
  if (input.state !== undefined) filter.state = input.state;
  if (input.present !== undefined) filter.present = input.present;
  if (input.overdue) filter.overdueAt = iso(input.now);
  return toFindings(db, await listFindingRows(db, filter), input.now);
}

async function toFindings(db: DbOrTrx, rows: FindingListRow[], now: Date): Promise<Finding[]> {
  const ids = [...new Set(rows.map((r) => r.vuln_id))];
  const infos = new Map((await vulnDetails(db, ids)).map((v) => [v.id, vulnInfo(v)]));
  const findings = rows.map((r) => toFinding(r, infos.get(r.vuln_id), now));
  // Stable: the rows come ordered by branch, due date and package.
  return findings.sort(
    (a, b) => a.branchName.localeCompare(b.branchName) || Number(b.present) - Number(a.present) || rank(a) - rank(b),
  );
}

/** One finding of the project, or NOT_FOUND. */
export async function getFinding(db: DbOrTrx, input: { projectId: string; findingId: string; now: Date }) {
  const [row] = await listFindingRows(db, { projectId: input.projectId, id: input.findingId });
  if (!row) throw new DomainError('NOT_FOUND', 'No such finding in this project.');
  const [finding] = await toFindings(db, [row], input.now);
  if (!finding) throw new Error('a finding vanished while it was read');
  return finding;
}

export interface TriageInput {
  projectId: string;
  findingId: string;
  /** Left out: the state stays. */
  state?: string;
  /** Required with not_affected (one of NOT_AFFECTED_JUSTIFICATIONS), refused with any other state. */
  justification?: string | null;
  /** A member's user id; null clears it; left out, it stays. */
  owner?: string | null;
  note?: string;
  actor: Actor;
  origin: RequestOrigin;
}

function refuse(field: string, message: string): never {
  throw new DomainError('VALIDATION_FAILED', message, { field });
}

/** Records the team's statement about a finding, in the caller's transaction; audited when anything changed. */
export async function triageFinding(trx: Trx, deps: Pick<Deps, 'clock'>, input: TriageInput): Promise<Finding> {
  const now = deps.clock.now();
  await lockFinding(trx, input.projectId, input.findingId);
  const [row] = await listFindingRows(trx, { projectId: input.projectId, id: input.findingId });
  if (!row) throw new DomainError('NOT_FOUND', 'No such finding in this project.');

  if (input.state !== undefined && !isFindingState(input.state))
    refuse('state', `The state is one of ${FINDING_STATES.join(', ')}.`);
  const state = (input.state ?? row.state) as FindingState;
  const given = input.justification?.trim() ? input.justification.trim() : null;
  let justification: string | null = null;
  if (state === 'not_affected') {
    justification = input.justification === undefined ? row.justification : given;
    if (!isJustification(justification))
      refuse('justification', `Not affected needs a justification: one of ${NOT_AFFECTED_JUSTIFICATIONS.join(', ')}.`);
  } else if (given !== null) {
    refuse('justification', 'A justification goes with the state not_affected only.');
  }
  let owner = row.owner_user_id;
  if (input.owner !== undefined) {
    owner = input.owner?.trim() ? input.owner.trim() : null;
    if (owner !== null && (await membershipRole(trx, input.projectId, owner)) === undefined)
      refuse('owner', 'The owner must be a member of the project.');
  }
  const note = input.note === undefined ? row.note : input.note.replace(/\r\n?/g, '\n').trim();
  if (note.length > MAX_FINDING_NOTE) refuse('note', `The note is at most ${MAX_FINDING_NOTE} characters.`);

  // Resolved by the team's word (fixed, not affected), or by the version leaving the branch: a
  // finding reopened while gone stays resolved by its going.
  const resolvedAt = RESOLVED.includes(state)
    ? (row.resolved_at ?? iso(now))
    : row.present === 1
      ? null
      : row.resolved_at;
  const moves: Record<string, { from: string | null; to: string | null }> = {};
  if (state !== row.state) moves.state = { from: row.state, to: state };
  if (justification !== row.justification) moves.justification = { from: row.justification, to: justification };
  if (owner !== row.owner_user_id) moves.owner = { from: row.owner_user_id, to: owner };
  const changed = [...Object.keys(moves), ...(note !== row.note ? ['note'] : [])];
  if (changed.length === 0) return (await toFindings(trx, [row], now))[0] as Finding;

  const at = iso(now);
  await updateFinding(trx, row.id, {
    state,
    justification,
    owner_user_id: owner,
    note,
    resolved_at: resolvedAt,
    updated_at: at,
  });
  await recordAudit(trx, deps.clock, {
    actor: input.actor,
    origin: input.origin,
    projectId: input.projectId,
    action: 'finding.triaged',
    subjectType: 'finding',
    subjectId: row.id,
    // The note is the team's text: the log says it changed, not what it says.
    detail: { vulnId: row.vuln_id, package: `${row.name}@${row.version}`, branch: row.branch_name, changed, ...moves },
  });
  const [updated] = await listFindingRows(trx, { projectId: input.projectId, id: row.id });
  return (await toFindings(trx, updated ? [updated] : [], now))[0] as Finding;
}
