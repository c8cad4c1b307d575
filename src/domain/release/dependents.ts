import { iso } from '../../clock.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { caseAffected, type AffectedPackage } from '../cases/affected.service.js';
import type { Case } from '../cases/cases.js';
import { findCaseRow, insertHistory, lockCase, toCase } from '../cases/cases.repository.js';
import { newId } from '../ids.js';

// The dependents hook of the go: after a case is published, the projects that depend on its fixed
// packages are told. Who depends on what is known by the dependency-scanning work (registered SBOMs
// and package URLs, a reverse index from package to dependents), which provides a notifier through
// Deps.dependents; each notifier says how many it told, and the case history records it. With no
// notifier configured the history says so, and nobody is told.

export interface DependentsNotifier {
  /** Shown in the case history, e.g. "registered SBOMs". */
  readonly name: string;
  /** Tells the dependents of the case's packages, in the caller's transaction; returns how many were told. */
  notify(
    trx: Trx,
    deps: Pick<Deps, 'clock' | 'config'>,
    input: { theCase: Case; packages: AffectedPackage[] },
  ): Promise<number>;
}

/** The case.dependents job: runs each notifier once per case (the history entry marks it done). */
export async function notifyDependents(
  deps: Pick<Deps, 'db' | 'clock' | 'config' | 'dependents'>,
  input: { caseId: string },
): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await lockCase(trx, input.caseId);
    const projectId = (
      await trx.selectFrom('cases').select('project_id').where('id', '=', input.caseId).executeTakeFirst()
    )?.project_id;
    if (!projectId) return;
    const row = await findCaseRow(trx, { projectId, id: input.caseId });
    if (!row || row.state !== 'published') return;
    const done = await trx
      .selectFrom('case_history')
      .select('id')
      .where('case_id', '=', input.caseId)
      .where('change', '=', 'dependents.notified')
      .executeTakeFirst();
    if (done) return;
    const theCase = toCase(row);
    const { packages } = await caseAffected(trx, theCase, deps.clock.now());
    const told: { notifier: string; notified: number }[] = [];
    for (const notifier of deps.dependents) {
      told.push({ notifier: notifier.name, notified: await notifier.notify(trx, deps, { theCase, packages }) });
    }
    await insertHistory(trx, {
      id: newId(),
      case_id: theCase.id,
      project_id: theCase.projectId,
      at: iso(deps.clock.now()),
      actor_user_id: null,
      actor_label: 'the go',
      change: 'dependents.notified',
      previous: null,
      value: JSON.stringify({ packages: packages.length, notifiers: told }),
      reason: null,
    });
  });
}
