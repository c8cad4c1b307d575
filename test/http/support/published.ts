import type { Trx } from '../../../src/db/types.js';
import { emptyAdvisoryText } from '../../../src/domain/advisories/advisories.js';
import { publishAdvisory, saveAdvisoryDraft } from '../../../src/domain/advisories/advisories.service.js';
import { withdrawAdvisory } from '../../../src/domain/advisories/advisory-revisions.service.js';
import { recordRequestedCve } from '../../../src/domain/advisories/cve-ids.service.js';
import { noOrigin } from '../../../src/domain/audit/audit.js';
import { addPackage, addRange } from '../../../src/domain/cases/affected.service.js';
import { setCaseEmbargoed } from '../../../src/domain/cases/cases.repository.js';
import { requireCase } from '../../../src/domain/cases/cases.service.js';
import type { Project } from '../../../src/domain/projects/projects.js';
import { updateCaseSeverity } from '../../../src/domain/severity/case-severity.service.js';
import type { User } from '../../../src/domain/users/users.js';
import type { TestContext } from '../../support/app.js';
import { actorOf, makeCase } from '../../support/case-factory.js';

// Published advisories for the public-page tests: a case opened from a report, its package,
// severity, CVE id and advisory text set by the services the pages use, then published as the go
// publishes it (publishAdvisory in a transaction, the embargo lifted).

const tx = <T>(ctx: TestContext, fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);

export interface PublishOptions {
  summary: string;
  details?: string;
  ecosystem?: string;
  packageName?: string;
  cvssV31?: string;
  cveId?: string;
  credit?: string;
  /** Leave the advisory a draft (never published). */
  draft?: boolean;
}

/** A case of `project` with the advisory `options` describes; returns its case and public id (null for a draft). */
export async function publishCase(
  ctx: TestContext,
  project: Project,
  lead: User,
  options: PublishOptions,
): Promise<{ caseId: string; number: number; publicId: string | null }> {
  const actor = actorOf(lead, project, 'admin');
  const by = { actor, origin: noOrigin };
  const opened = await makeCase(ctx, project, actor, `Private title of ${options.summary}`);
  const ref = { id: opened.id, projectId: project.id, number: opened.number };
  const pkg = await tx(ctx, (trx) =>
    addPackage(trx, ctx.deps, {
      ...by,
      theCase: ref,
      ecosystem: options.ecosystem ?? 'npm',
      name: options.packageName ?? 'widget-parser',
    }),
  );
  await tx(ctx, (trx) =>
    addRange(trx, ctx.deps, { ...by, theCase: ref, packageId: pkg.id, introduced: '1.0.0', fixed: '1.4.2' }),
  );
  if (options.cvssV31) {
    const theCase = await requireCase(ctx.deps.db, project.id, opened.number);
    await tx(ctx, (trx) =>
      updateCaseSeverity(trx, ctx.deps, {
        ...by,
        theCase,
        changes: { cvssV31: options.cvssV31 ?? null },
        reason: 'Scored by the team',
      }),
    );
  }
  const text = {
    ...emptyAdvisoryText,
    summary: options.summary,
    details: options.details ?? `Details of ${options.summary}.`,
    credits: options.credit ? [{ name: options.credit, type: 'FINDER' as const }] : [],
  };
  await tx(ctx, (trx) => saveAdvisoryDraft(trx, ctx.deps, { ...by, theCase: ref, text }));
  if (options.cveId) {
    const theCase = await requireCase(ctx.deps.db, project.id, opened.number);
    await tx(ctx, (trx) =>
      recordRequestedCve(trx, ctx.deps, { ...by, theCase, requestedFrom: 'MITRE', cveId: options.cveId ?? null }),
    );
  }
  if (options.draft) return { caseId: opened.id, number: opened.number, publicId: null };
  const advisory = await tx(ctx, async (trx) => {
    const published = await publishAdvisory(trx, ctx.deps, {
      theCase: await requireCase(trx, project.id, opened.number),
      projectSlug: project.slug,
    });
    await setCaseEmbargoed(trx, opened.id, false);
    return published;
  });
  return { caseId: opened.id, number: opened.number, publicId: advisory.publicId };
}

/** Withdraws a published advisory with `reason`. */
export function withdraw(ctx: TestContext, project: Project, lead: User, caseId: string, reason: string) {
  return tx(ctx, (trx) =>
    withdrawAdvisory(trx, ctx.deps, {
      actor: actorOf(lead, project, 'admin'),
      origin: noOrigin,
      theCase: { id: caseId, projectId: project.id },
      reason,
    }),
  );
}
