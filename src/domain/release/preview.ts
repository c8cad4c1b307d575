import type { DbOrTrx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { getAdvisory, publicIdPrefix } from '../advisories/advisories.service.js';
import type { AnnouncementKind } from '../announcements/announcements.js';
import type { AnnouncementTemplate } from '../announcements/templates.js';
import type { Case } from '../cases/cases.js';
import { findEmbargoRow } from '../cases/embargo.repository.js';
import { formatUtc } from '../cases/embargo-timeline.js';
import type { Project } from '../projects/projects.js';
import { announcementText, publicValues, releaseValues } from './announcement-text.js';
import { caseFacts } from './case-facts.js';

/**
 * What an announcement of the case would say if it went out now, for the team's preview: the
 * project's template filled with the case as it stands (the planned release time, or now when none
 * is planned; for the release, the advisory draft and the id it would get). Embargoed: members only.
 */
export async function previewAnnouncement(
  db: DbOrTrx,
  deps: Pick<Deps, 'clock' | 'config'>,
  input: { project: Project; theCase: Case; kind: AnnouncementKind },
): Promise<AnnouncementTemplate> {
  const { project, theCase, kind } = input;
  const now = deps.clock.now();
  const releaseAt = (await findEmbargoRow(db, theCase.id))?.release_at ?? now.toISOString();
  const facts = await caseFacts(db, theCase, now);
  if (kind === 'release') {
    const advisory = await getAdvisory(db, theCase);
    const publicId = advisory.publicId ?? `${publicIdPrefix(project.slug, new Date(releaseAt))}NNNN`;
    return announcementText(db, {
      projectId: project.id,
      kind,
      values: releaseValues(deps, { project, facts, releaseAt, advisory: { ...advisory, publicId } }),
    });
  }
  const values = publicValues(deps, { project, facts, releaseAt });
  if (kind === 'update') {
    Object.assign(values, {
      change: `The release of the security fix moves to ${formatUtc(new Date(releaseAt))}.`,
      previousReleaseAt: '',
    });
  }
  return announcementText(db, { projectId: project.id, kind, values });
}
