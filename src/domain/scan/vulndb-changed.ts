import type { Deps } from '../../deps.js';
import { alertDependentsSince } from './dependent-alerts.service.js';
import { reevaluateAllBranches } from './findings.service.js';

/**
 * What follows a change of the vulnerability database (the `vulndb.changed` job): every branch's
 * findings are re-evaluated, and the dependents of the packages the new records affect are alerted.
 * Each reaction is idempotent, so a retried or duplicated job changes nothing twice.
 */
export async function onVulnDbChanged(deps: Deps, input: { since: string }): Promise<void> {
  await reevaluateAllBranches(deps, { since: input.since });
  await alertDependentsSince(deps, { since: input.since });
}
