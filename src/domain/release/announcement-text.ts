import type { DbOrTrx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { Advisory } from '../advisories/advisories.js';
import type { AnnouncementKind } from '../announcements/announcements.js';
import { getTemplate } from '../announcements/templates.service.js';
import { type AnnouncementTemplate, fillTemplate } from '../announcements/templates.js';
import { formatUtc } from '../cases/embargo-timeline.js';
import type { Case } from '../cases/cases.js';
import type { Project } from '../projects/projects.js';
import { type CaseFacts, caseFacts } from './case-facts.js';

// The text of a case's announcements: the project's template for the kind filled with the case's
// values. Before the release only the public values exist (a fix-forthcoming template cannot name
// the others: templates.ts), so nothing embargoed can reach a notice that goes out early.

const bullets = (lines: readonly string[]) => lines.map((l) => `- ${l}`).join('\n');
const base = (deps: Pick<Deps, 'config'>) => deps.config.publicUrl.href.replace(/\/+$/, '');

export function advisoryUrl(deps: Pick<Deps, 'config'>, projectSlug: string, publicId: string): string {
  return `${base(deps)}/p/${projectSlug}/advisories/${publicId}`;
}

/** What any announcement of the case may say: the date, the severity and the affected components. */
export function publicValues(
  deps: Pick<Deps, 'config'>,
  input: { project: Project; facts: CaseFacts; releaseAt: string },
): Record<string, string> {
  const { project, facts } = input;
  return {
    project: project.name,
    releaseAt: formatUtc(new Date(input.releaseAt)),
    severity: facts.severity,
    components: facts.components.length ? bullets(facts.components) : `- ${project.name}`,
    advisoriesUrl: `${base(deps)}/p/${project.slug}/advisories`,
    listsUrl: `${base(deps)}/p/${project.slug}/lists`,
  };
}

/** Everything the release announcement says, once the advisory is public. */
export function releaseValues(
  deps: Pick<Deps, 'config'>,
  input: { project: Project; facts: CaseFacts; releaseAt: string; advisory: Advisory },
): Record<string, string> {
  const { advisory, facts, project } = input;
  const publicId = advisory.publicId ?? '';
  return {
    ...publicValues(deps, input),
    publicId,
    advisoryUrl: advisoryUrl(deps, project.slug, publicId),
    summary: advisory.summary,
    details: advisory.details,
    affected: advisory.affected,
    affectedVersions: facts.affectedVersions.length ? bullets(facts.affectedVersions) : '- See the advisory.',
    howToCheck: advisory.howToCheck,
    fixedVersions: facts.fixedVersions.length ? bullets(facts.fixedVersions) : '- See the advisory.',
    upgrade: advisory.upgrade,
    mitigations: advisory.mitigations,
    detection: advisory.detection,
    credits: bullets(advisory.credits.map((c) => `${c.name} (${c.type.toLowerCase().replace(/_/g, ' ')})`)),
  };
}

/** The project's template for `kind` filled with `values`. */
export async function announcementText(
  db: DbOrTrx,
  input: { projectId: string; kind: AnnouncementKind; values: Record<string, string> },
): Promise<AnnouncementTemplate> {
  return fillTemplate(await getTemplate(db, input.projectId, input.kind), input.values);
}

/** The public values of a case now (its facts computed afresh). */
export async function casePublicValues(
  db: DbOrTrx,
  deps: Pick<Deps, 'config' | 'clock'>,
  input: { project: Project; theCase: Case; releaseAt: string },
): Promise<Record<string, string>> {
  return publicValues(deps, { ...input, facts: await caseFacts(db, input.theCase, deps.clock.now()) });
}
