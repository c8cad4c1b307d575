import type { Deps } from '../../src/deps.js';
import { noOrigin, type RequestOrigin } from '../../src/domain/audit/audit.js';
import type { Project } from '../../src/domain/projects/projects.js';
import type { AttachmentInput } from '../../src/domain/reports/attachments.js';
import { type ReportInput, submitReport } from '../../src/domain/reports/intake.service.js';
import type { Report } from '../../src/domain/reports/reports.js';

type FactoryDeps = Pick<Deps, 'db' | 'clock' | 'config'>;

export interface ReportOverrides extends Partial<ReportInput> {
  attachments?: AttachmentInput[];
  source?: 'web' | 'api';
  /** Defaults to no address, which skips the per-address intake limit. */
  origin?: RequestOrigin;
}

/**
 * Files a report through the real intake service (so it has its timeline entry, audit record and
 * queued emails) and returns it with the status token, which is stored nowhere else.
 */
export async function makeReport(
  target: { deps: FactoryDeps } | FactoryDeps,
  project: Project,
  overrides: ReportOverrides = {},
): Promise<{ report: Report; statusToken: string }> {
  const deps = 'deps' in target ? target.deps : target;
  const { source = 'web', origin = noOrigin, ...input } = overrides;
  return deps.db.transaction().execute((trx) =>
    submitReport(
      trx,
      deps,
      {
        title: 'Heap overflow in the parser',
        description: 'A crafted input overflows a buffer in `parse()`.',
        reporterName: 'Ada Reporter',
        reporterEmail: 'ada@example.net',
        ...input,
      },
      { projectSlug: project.slug, source, origin },
    ),
  );
}
