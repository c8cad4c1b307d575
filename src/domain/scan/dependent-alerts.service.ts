import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Email } from '../../mail/emails.js';
import { queueEmail } from '../../mail/outbox.js';
import { newId } from '../ids.js';
import { getProjectById, listMembers } from '../projects/projects.service.js';
import { advisoryUrl } from '../release/announcement-text.js';
import {
  alertsOfCase,
  type DependentAlertRow,
  insertNewAlerts,
  vulnIdsImportedSince,
  vulnOwners,
} from './dependent-alerts.repository.js';
import { linkSecret, manageToken, manageUrl, maskEmail, projectDependentsUrl } from './dependent-links.js';
import type { AffectedDependent, CaseDependentAlert } from './dependents.js';
import { affectedDependents } from './dependents-index.service.js';
import { type DependentRow, dependentsByIds, updateDependent } from './dependents.repository.js';
import { vulnInfo } from './vuln-info.js';
import { vulnDetails } from './vulndb.repository.js';

/*
 * Telling dependents. Each (dependent, vulnerability, package, version) is told once: the alert row
 * is inserted with ON CONFLICT DO NOTHING and only the rows actually inserted are mailed, in the
 * same transaction, so the go's notifier and the vulndb.changed job (possibly on several workers)
 * never tell the same thing twice, and a rolled-back batch tells nothing. One mail per dependent
 * per batch lists its new alerts; a project's alerts go to each of its enabled members.
 */

type AlertDeps = Pick<Deps, 'clock' | 'config'>;
type AlertItem = Extract<Email, { template: 'dependent-alert' }>['alerts'][number];

/** Vulnerabilities per transaction of `alertDependentsSince`. */
const BATCH = 500;

export interface AlertOutcome {
  /** Alerts newly told. */
  alerts: number;
  /** Dependents newly told something. */
  dependents: number;
}

/** What the mail says of each vulnerability: its summary and the page to read it on. */
async function advisoryFacts(db: DbOrTrx, deps: AlertDeps, vulnIds: readonly string[]) {
  const facts = new Map<string, { summary: string; url: string }>();
  const owners = await vulnOwners(db, vulnIds);
  const slugs = new Map<string, string | undefined>();
  for (const row of await vulnDetails(db, vulnIds)) {
    const info = vulnInfo(row);
    // This instance's own advisory is read on its public page; an imported one where it came from.
    const ownerId = owners.get(row.id) ?? null;
    if (ownerId !== null && !slugs.has(ownerId)) slugs.set(ownerId, (await getProjectById(db, ownerId))?.slug);
    const slug = ownerId === null ? undefined : slugs.get(ownerId);
    const url = slug
      ? advisoryUrl(deps, slug, row.id)
      : (info.url ?? `https://osv.dev/vulnerability/${encodeURIComponent(row.id)}`);
    facts.set(row.id, { summary: info.summary, url });
  }
  return facts;
}

/** The addresses a dependent's mail goes to, the name it is addressed by, and its manage link. */
async function recipientsOf(trx: Trx, deps: AlertDeps, dependent: DependentRow, secret: () => Promise<Buffer>) {
  if (dependent.project_id === null) {
    if (!dependent.email) return undefined;
    const link = manageToken(await secret(), dependent.id);
    // The instance key changed since the link was made: the stored hash follows the new link.
    if (link.hash !== dependent.manage_token_hash)
      await updateDependent(trx, dependent.id, { manage_token_hash: link.hash });
    return { to: [dependent.email], projectName: null, projectId: null, manageUrl: manageUrl(deps, link.token) };
  }
  const project = await getProjectById(trx, dependent.project_id);
  if (!project) return undefined;
  const members = await listMembers(trx, project.id, { activeOnly: true });
  return {
    to: [...new Set(members.map((m) => m.email))].sort(),
    projectName: project.name,
    projectId: project.id,
    manageUrl: projectDependentsUrl(deps, project.slug),
  };
}

async function mailNewAlerts(
  trx: Trx,
  deps: AlertDeps,
  rows: readonly DependentAlertRow[],
  fixes: Map<string, string[]>,
) {
  const byDependent = new Map<string, DependentAlertRow[]>();
  for (const r of rows) {
    const list = byDependent.get(r.dependent_id);
    if (list) list.push(r);
    else byDependent.set(r.dependent_id, [r]);
  }
  const facts = await advisoryFacts(trx, deps, [...new Set(rows.map((r) => r.vuln_id))]);
  let key: Promise<Buffer> | undefined;
  const secret = () => (key ??= linkSecret(trx, deps));
  for (const dependent of await dependentsByIds(trx, [...byDependent.keys()])) {
    const to = await recipientsOf(trx, deps, dependent, secret);
    if (!to) continue;
    const alerts: AlertItem[] = (byDependent.get(dependent.id) ?? []).map((r) => ({
      advisoryId: r.vuln_id,
      summary: facts.get(r.vuln_id)?.summary ?? '',
      advisoryUrl: facts.get(r.vuln_id)?.url ?? '',
      ecosystem: r.ecosystem,
      packageName: r.name,
      version: r.version,
      fixedVersion: r.fixed_version,
      knownFixes: fixes.get(r.id) ?? [],
    }));
    for (const address of to.to) {
      await queueEmail(trx, deps, {
        to: address,
        projectId: to.projectId,
        reportId: null,
        email: {
          template: 'dependent-alert',
          dependentName: dependent.name,
          projectName: to.projectName,
          alerts,
          manageUrl: to.manageUrl,
        },
      });
    }
  }
}

/**
 * Tells the affected dependents of `vulnIds` what they were not told yet, in the caller's
 * transaction. `caseId` marks the alerts as the case's (the go); otherwise a vulnerability that is a
 * case's published advisory marks them with its case anyway, so the case lists whoever told them.
 */
export async function alertDependents(
  trx: Trx,
  deps: AlertDeps,
  input: { vulnIds: readonly string[]; caseId?: string; newsOnly?: boolean },
): Promise<AlertOutcome> {
  if (input.vulnIds.length === 0) return { alerts: 0, dependents: 0 };
  const affected: AffectedDependent[] = await affectedDependents(trx, {
    vulnIds: input.vulnIds,
    newsOnly: input.newsOnly ?? false,
  });
  if (affected.length === 0) return { alerts: 0, dependents: 0 };
  const at = iso(deps.clock.now());
  const fixes = new Map<string, string[]>();
  const rows = affected.map((a) => {
    const id = newId();
    if (a.knownFixes.length > 0) fixes.set(id, a.knownFixes);
    return {
      id,
      dependent_id: a.dependentId,
      vuln_id: a.vulnId,
      case_id: input.caseId ?? a.caseId,
      package_key: a.packageKey,
      ecosystem: a.ecosystem,
      name: a.name,
      version: a.version,
      fixed_version: a.fixedVersion,
      created_at: at,
    };
  });
  // In key order, so that two workers inserting overlapping batches wait on each other instead of
  // deadlocking (PostgreSQL locks each unique key as it inserts it).
  const key = (r: (typeof rows)[number]) => [r.dependent_id, r.vuln_id, r.package_key, r.version].join('\u0000');
  rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const inserted = await insertNewAlerts(trx, rows);
  if (inserted.length > 0) await mailNewAlerts(trx, deps, inserted, fixes);
  return { alerts: inserted.length, dependents: new Set(inserted.map((r) => r.dependent_id)).size };
}

/**
 * For the vulndb.changed job: alerts about the records imported or changed at or after `since`,
 * under the news rule (dependents-index.service.ts: only records published after the registration).
 * Each batch of vulnerabilities commits on its own, so a long first import does not hold one huge
 * transaction; a retry after a failure tells only what the failed batches did not.
 */
export async function alertDependentsSince(
  deps: Pick<Deps, 'db' | 'clock' | 'config'>,
  input: { since: string },
): Promise<AlertOutcome> {
  const total: AlertOutcome = { alerts: 0, dependents: 0 };
  let after: string | null = null;
  for (;;) {
    const ids = await vulnIdsImportedSince(deps.db, { since: input.since, after, limit: BATCH });
    if (ids.length === 0) return total;
    const told = await deps.db
      .transaction()
      .execute((trx) => alertDependents(trx, deps, { vulnIds: ids, newsOnly: true }));
    total.alerts += told.alerts;
    total.dependents += told.dependents;
    after = ids[ids.length - 1] ?? null;
  }
}

/** The alerts told about a case's advisory, for its release page (the caller checks case.read). */
export async function caseDependentAlerts(db: DbOrTrx, caseId: string): Promise<CaseDependentAlert[]> {
  return (await alertsOfCase(db, caseId)).map((r) => ({
    dependent:
      r.dependent_project_id === null && r.dependent_email
        ? `${r.dependent_name} (${maskEmail(r.dependent_email)})`
        : r.dependent_name,
    kind: r.dependent_project_id === null ? 'subscriber' : 'project',
    vulnId: r.vuln_id,
    ecosystem: r.ecosystem,
    packageName: r.name,
    version: r.version,
    fixedVersion: r.fixed_version,
    toldAt: r.created_at,
  }));
}
