import type { Insertable } from 'kysely';
import { iso } from '../../clock.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { recordAudit } from '../audit/audit.service.js';
import { noOrigin } from '../audit/audit.js';
import { newId } from '../ids.js';
import { dueAt } from './finding-clocks.js';
import type { Evaluation } from './findings.js';
import { notifyNewFindings } from './findings-notice.js';
import {
  branchesToEvaluate,
  branchWithProject,
  type FindingRow,
  findingRowsOfBranch,
  insertFindings,
  lockBranch,
  markBack,
  markGone,
  markSeen,
  packagesOfBranch,
  updateFinding,
} from './findings.repository.js';
import type { ScannedPackage } from './inventory.js';
import { matchPackages } from './matcher.js';
import type { FindingsTable } from './scan.table.js';
import { type VulnInfo, vulnInfo } from './vuln-info.js';
import { vulnDetails } from './vulndb.repository.js';

export { getFinding, listFindings, triageFinding } from './finding-triage.service.js';

/*
 * A branch's findings follow what its inventories ship and what the vulnerability database says:
 * every evaluation matches all the branch's packages again and brings the findings in line, under
 * the branch row's lock. A finding is never deleted: when its version leaves the branch or the
 * record no longer lists it, it is marked gone, with its triage kept for the day it comes back.
 */

const keyOf = (vulnId: string, packageKey: string, version: string) => `${vulnId}\u0000${packageKey}\u0000${version}`;

interface Wanted {
  vulnId: string;
  packageKey: string;
  ecosystem: string;
  name: string;
  version: string;
  fixedVersion: string | null;
}

/** The findings the packages call for, one per (vulnerability, package, version) however often shipped. */
async function wantedFindings(trx: Trx, branchId: string) {
  const rows = await packagesOfBranch(trx, branchId);
  const packages: ScannedPackage[] = rows.map((r) => ({ ecosystem: r.ecosystem, name: r.name, version: r.version }));
  const wanted = new Map<string, Wanted>();
  for (const m of await matchPackages(trx, packages)) {
    const row = rows[m.index];
    if (!row) continue;
    const key = keyOf(m.vulnId, row.package_key, row.version);
    const seen = wanted.get(key);
    if (!seen) {
      wanted.set(key, {
        vulnId: m.vulnId,
        packageKey: row.package_key,
        ecosystem: row.ecosystem,
        name: row.name,
        version: row.version,
        fixedVersion: m.fixedVersion,
      });
    } else if (seen.fixedVersion === null) {
      seen.fixedVersion = m.fixedVersion;
    }
  }
  const shipped = new Set(rows.map((r) => `${r.package_key}\u0000${r.version}`));
  return { wanted, shipped };
}

/** What the record says of a finding, refreshed at each evaluation. */
function described(info: VulnInfo | undefined, w: Wanted, firstSeen: Date) {
  const severity = info?.severity ?? 'unknown';
  return {
    summary: info?.summary ?? '',
    severity,
    fixed_version: w.fixedVersion,
    // The clock runs from first sight; a severity learnt later moves the deadline with it.
    due_at: iso(dueAt(firstSeen, severity)),
  };
}

const differs = (f: FindingRow, d: ReturnType<typeof described>) =>
  f.summary !== d.summary || f.severity !== d.severity || f.fixed_version !== d.fixed_version || f.due_at !== d.due_at;

/**
 * Brings one branch's findings in line with its inventories and the database, in the caller's
 * transaction, and tells the project's members of the new ones. Running it again with nothing
 * changed finds nothing new or gone and sends nothing; only last_seen_at moves to the clock's time.
 */
export async function reevaluateBranch(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: { branchId: string },
): Promise<Evaluation> {
  if (!(await lockBranch(trx, input.branchId))) return { new: 0, gone: 0, present: 0 };
  const branch = await branchWithProject(trx, input.branchId);
  if (!branch) return { new: 0, gone: 0, present: 0 };
  const now = deps.clock.now();
  const at = iso(now);
  const { wanted, shipped } = await wantedFindings(trx, branch.id);
  const ids = [...new Set([...wanted.values()].map((w) => w.vulnId))];
  const infos = new Map((await vulnDetails(trx, ids)).map((row) => [row.id, vulnInfo(row)]));
  const existing = new Map(
    (await findingRowsOfBranch(trx, branch.id)).map((f) => [keyOf(f.vuln_id, f.package_key, f.version), f]),
  );

  const inserts: Insertable<FindingsTable>[] = [];
  const back: string[] = [];
  const seen: string[] = [];
  for (const [key, w] of wanted) {
    const found = existing.get(key);
    if (!found) {
      inserts.push({
        id: newId(),
        project_id: branch.project_id,
        branch_id: branch.id,
        vuln_id: w.vulnId,
        package_key: w.packageKey,
        ecosystem: w.ecosystem,
        name: w.name,
        version: w.version,
        ...described(infos.get(w.vulnId), w, now),
        state: 'in_triage',
        justification: null,
        note: '',
        owner_user_id: null,
        present: 1,
        first_seen_at: at,
        last_seen_at: at,
        gone_at: null,
        resolved_at: null,
        updated_at: at,
        notified_at: null,
      });
      continue;
    }
    (found.present === 1 ? seen : back).push(found.id);
    const d = described(infos.get(w.vulnId), w, new Date(found.first_seen_at));
    if (differs(found, d)) await updateFinding(trx, found.id, { ...d, updated_at: at });
  }
  // Gone because the branch no longer ships the version (resolved, if still open), or because the
  // database no longer lists it as affected (withdrawn, or a range corrected: the triage decides).
  const left: string[] = [];
  const unlisted: string[] = [];
  for (const [key, f] of existing) {
    if (f.present !== 1 || wanted.has(key)) continue;
    (shipped.has(`${f.package_key}\u0000${f.version}`) ? unlisted : left).push(f.id);
  }

  const added = await insertFindings(trx, inserts);
  await markBack(trx, back, at);
  await markSeen(trx, seen, at);
  await markGone(trx, left, at, true);
  await markGone(trx, unlisted, at, false);
  // Unnotified findings are only ever this evaluation's inserts: they are told in the same transaction.
  if (added > 0) await notifyNewFindings(trx, deps, branch);
  const result = { new: added, gone: left.length + unlisted.length, present: wanted.size };
  if (result.new > 0 || result.gone > 0 || back.length > 0) {
    await recordAudit(trx, deps.clock, {
      actor: { kind: 'system', label: 'findings' },
      origin: noOrigin,
      projectId: branch.project_id,
      action: 'findings.evaluated',
      subjectType: 'release_branch',
      subjectId: branch.id,
      detail: { branch: branch.name, ...result, back: back.length },
    });
  }
  return result;
}

/**
 * The vulndb.changed job: every supported branch with an inventory (with `since`, those the records
 * changed since then can concern; a branch past its end of support is no longer watched, its findings
 * stay as they were), each in its own transaction, so one branch's lock is never held while
 * another is evaluated. Safe to run twice, or in two workers at once: each branch's evaluation runs
 * under its lock and the second finds nothing left to do.
 */
export async function reevaluateAllBranches(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  input: { since?: string } = {},
): Promise<{ branches: number; new: number; gone: number }> {
  const totals = { branches: 0, new: 0, gone: 0 };
  const today = iso(deps.clock.now()).slice(0, 10);
  for (const branchId of await branchesToEvaluate(deps.db, { ...(input.since ? { since: input.since } : {}), today })) {
    const r = await deps.db.transaction().execute((trx) => reevaluateBranch(trx, deps, { branchId }));
    totals.branches += 1;
    totals.new += r.new;
    totals.gone += r.gone;
  }
  return totals;
}
