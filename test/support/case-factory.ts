import { noOrigin } from '../../src/domain/audit/audit.js';
import type { Case } from '../../src/domain/cases/cases.js';
import type { Project } from '../../src/domain/projects/projects.js';
import * as triage from '../../src/domain/reports/triage.service.js';
import type { User } from '../../src/domain/users/users.js';
import type { Actor } from '../../src/policies/actor.js';
import type { TestContext } from './app.js';
import { makeReport } from './report-factory.js';

/** A user as the actor of a request, with their role in `project`. */
export function actorOf(user: User, project: Project, role: 'admin' | 'security' = 'security'): Actor {
  return {
    kind: 'user',
    userId: user.id,
    email: user.email,
    name: user.name,
    isInstanceAdmin: user.isInstanceAdmin,
    roles: new Map([[project.id, role]]),
  };
}

/** A case opened the real way: a report filed and accepted by `by` (who becomes the case's owner). */
export async function makeCase(
  ctx: TestContext,
  project: Project,
  by: Actor = { kind: 'system', label: 'test' },
  title = 'Heap overflow in the parser',
): Promise<Case> {
  const { report } = await makeReport(ctx, project, { title });
  const accepted = await ctx.deps.db
    .transaction()
    .execute((trx) =>
      triage.accept(trx, ctx.deps, { actor: by, origin: noOrigin, projectId: project.id, reportId: report.id }),
    );
  return accepted.case;
}
