import type { DependentsNotifier } from '../release/dependents.js';
import { alertedDependentCount, vulnIdsOfCase } from './dependent-alerts.repository.js';
import { alertDependents } from './dependent-alerts.service.js';

/**
 * The go's dependents hook over registered SBOMs and package URLs: the case's published advisory
 * (its row in the vulnerability database, stored at publication) is told to every active dependent
 * whose registered version it affects, whatever the advisory's date. The count returned is of the
 * dependents told about it at all: the vulndb.changed job that publication also enqueues may have
 * told some of them moments earlier, and each is told once (dependent-alerts.service.ts).
 */
export const registeredDependents: DependentsNotifier = {
  name: 'registered SBOMs and package URLs',
  async notify(trx, deps, input) {
    const vulnIds = await vulnIdsOfCase(trx, input.theCase.id);
    if (vulnIds.length === 0) return 0;
    await alertDependents(trx, deps, { vulnIds, caseId: input.theCase.id });
    return alertedDependentCount(trx, vulnIds);
  },
};
