import type { DbOrTrx } from '../../db/types.js';
import type { TermsAcceptance } from './distributors.js';
import { acceptanceRows } from './distributors.repository.js';

// What the distributor settings pages show beside the service's view of a distributor: how many
// cases each was told of, which ones and when, and its acceptances over time. Never a notice's
// snapshot: these pages show no embargoed content, so they need no audited read.

/** How many cases each distributor of the project was notified of, by distributor id (absent: none). */
export async function noticeCountsOfProject(db: DbOrTrx, projectId: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('distributor_notices')
    .select(['distributor_id', (eb) => eb.fn.countAll<number | string>().as('notices')])
    .where('project_id', '=', projectId)
    .groupBy('distributor_id')
    .execute();
  // PostgreSQL answers count(*) as a bigint, which pg hands over as text.
  return new Map(rows.map((r) => [r.distributor_id, Number(r.notices)]));
}

export interface DistributorCaseNotice {
  caseNumber: number;
  notifiedAt: string;
}

/** The cases a distributor was notified of, newest notice first. */
export async function noticesOfDistributor(db: DbOrTrx, distributorId: string): Promise<DistributorCaseNotice[]> {
  const rows = await db
    .selectFrom('distributor_notices')
    .innerJoin('cases', 'cases.id', 'distributor_notices.case_id')
    .select(['cases.number as case_number', 'distributor_notices.notified_at as notified_at'])
    .where('distributor_notices.distributor_id', '=', distributorId)
    .orderBy('distributor_notices.notified_at', 'desc')
    .orderBy('cases.number', 'desc')
    .execute();
  return rows.map((r) => ({ caseNumber: r.case_number, notifiedAt: r.notified_at }));
}

/** Every acceptance of the distributor's terms, of any version, latest first. */
export async function acceptancesOfDistributor(db: DbOrTrx, distributorId: string): Promise<TermsAcceptance[]> {
  return (await acceptanceRows(db, [distributorId])).map((r) => ({
    termsVersion: r.terms_version,
    acceptedAt: r.accepted_at,
    label: r.label,
    note: r.note,
  }));
}
