import type { FastifyRequest } from 'fastify';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Case } from '../../domain/cases/cases.js';
import { getCaseForTeam } from '../../domain/cases/cases.service.js';
import { caseSubject } from '../../domain/cases/collaborators.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { type Action, authorize } from '../../policies/policy.js';

/** A request under `/api/v1/projects/:slug/cases/:number`. */
export type CaseRequest = Pick<FastifyRequest, 'actor' | 'origin'> & { params: { slug: string; number: string } };

/**
 * Authorizes `action` on the project (case.read: with the case, for its invited collaborators),
 * then runs `fn` on the case in a transaction that audits the read: every answer of these routes
 * shows embargoed content.
 */
export async function onCase<T>(
  deps: Deps,
  request: CaseRequest,
  action: Action,
  fn: (trx: Trx, theCase: Case, project: Project) => Promise<T>,
): Promise<T> {
  const number = Number(request.params.number);
  const project = await requireProject(deps.db, request.params.slug);
  authorize(
    request.actor,
    action,
    action === 'case.read' ? await caseSubject(deps.db, { projectId: project.id, number }) : { projectId: project.id },
  );
  return deps.db.transaction().execute(async (trx) => {
    const view = await getCaseForTeam(trx, deps, {
      actor: request.actor,
      origin: request.origin,
      projectId: project.id,
      number,
    });
    return fn(trx, view.case, project);
  });
}
