import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import type { AnnouncementKind } from './announcements.js';
import { deleteTemplateRow, findTemplateRow, saveTemplateRow } from './announcements.repository.js';
import { type AnnouncementTemplate, checkTemplate, DEFAULT_TEMPLATES } from './templates.js';

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;

/** The project's template for a kind (its own, or the built-in one) and whether it is its own. */
export async function getTemplate(
  db: DbOrTrx,
  projectId: string,
  kind: AnnouncementKind,
): Promise<AnnouncementTemplate & { custom: boolean }> {
  const row = await findTemplateRow(db, projectId, kind);
  return row ? { subject: row.subject, body: row.body, custom: true } : { ...DEFAULT_TEMPLATES[kind], custom: false };
}

/** Saves the project's wording of a kind after checking it (checkTemplate); the built-in text itself resets it. */
export async function saveTemplate(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { by: ActedBy; projectId: string; kind: AnnouncementKind; template: AnnouncementTemplate },
): Promise<AnnouncementTemplate & { custom: boolean }> {
  const checked = checkTemplate(input.kind, input.template);
  const builtIn = checkTemplate(input.kind, DEFAULT_TEMPLATES[input.kind]);
  if (checked.subject === builtIn.subject && checked.body === builtIn.body) {
    await deleteTemplateRow(trx, input.projectId, input.kind);
  } else {
    await saveTemplateRow(trx, {
      project_id: input.projectId,
      kind: input.kind,
      subject: checked.subject,
      body: checked.body,
      updated_at: iso(deps.clock.now()),
      updated_by: input.by.actor.kind === 'user' ? input.by.actor.userId : null,
    });
  }
  await recordAudit(trx, deps.clock, {
    ...input.by,
    projectId: input.projectId,
    action: 'announcement.template_saved',
    subjectType: 'project',
    subjectId: input.projectId,
    detail: { kind: input.kind },
  });
  return getTemplate(trx, input.projectId, input.kind);
}

export async function resetTemplate(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { by: ActedBy; projectId: string; kind: AnnouncementKind },
): Promise<void> {
  await deleteTemplateRow(trx, input.projectId, input.kind);
  await recordAudit(trx, deps.clock, {
    ...input.by,
    projectId: input.projectId,
    action: 'announcement.template_reset',
    subjectType: 'project',
    subjectId: input.projectId,
    detail: { kind: input.kind },
  });
}
