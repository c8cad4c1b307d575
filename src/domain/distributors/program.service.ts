import { iso } from '../../clock.js';
import type { DbOrTrx, Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { DomainError } from '../../errors.js';
import type { AuditInput } from '../audit/audit.service.js';
import { recordAudit } from '../audit/audit.service.js';
import type { DistributorProgram } from './distributors.js';
import { findProgramRow, saveProgramRow } from './distributors.repository.js';

// A project's distributor programme: the published criteria for joining, and the embargo terms each
// distributor accepts. Changing the terms makes a new version: distributors must accept it again
// before they are told of the next case.

type ActedBy = Pick<AuditInput, 'actor' | 'origin'>;

export const DEFAULT_CRITERIA = `A distributor may join when it:

1. ships the project to users (an operating system distribution, a product or a hosted service) and has done so for some time;
2. has a security contact that answers within two working days, and can receive OpenPGP-encrypted mail;
3. is vouched for by a project maintainer or a distributor already on the list;
4. accepts the embargo terms and keeps to them. A distributor that breaks an embargo leaves the list.`;

export const DEFAULT_TERMS = `By accepting, the distributor agrees:

- to use what it is sent before a release only to prepare updates for its users, and to share it only with the people who do that work, under these same terms;
- not to publish, ship or announce anything about an embargoed issue before the release time in the notice, unless the project says the embargo is broken;
- that an embargo lasts at most as long as the project's embargo policy allows (14 days from the notice by default), and that the release time may move, in which case it is told;
- to acknowledge each notice, and to tell the project at once of any leak, or of exploitation seen in the wild.`;

const TEXT_MAX = 20_000;

export async function getProgram(db: DbOrTrx, projectId: string): Promise<DistributorProgram> {
  const row = await findProgramRow(db, projectId);
  if (!row) return { criteria: DEFAULT_CRITERIA, terms: DEFAULT_TERMS, termsVersion: 1, updatedAt: null };
  return { criteria: row.criteria, terms: row.terms, termsVersion: row.terms_version, updatedAt: row.updated_at };
}

function text(value: string, field: string): string {
  const clean = value.replace(/\r\n?/g, '\n').trim();
  if (!clean) throw new DomainError('VALIDATION_FAILED', `The ${field} cannot be empty.`, { field });
  if (clean.length > TEXT_MAX) {
    throw new DomainError('VALIDATION_FAILED', `The ${field} is longer than ${TEXT_MAX} characters.`, { field });
  }
  return clean;
}

/** Saves the criteria and terms; new terms are a new version (returned with `termsChanged`). */
export async function updateProgram(
  trx: Trx,
  deps: Pick<Deps, 'clock'>,
  input: { by: ActedBy; projectId: string; criteria: string; terms: string },
): Promise<{ program: DistributorProgram; termsChanged: boolean }> {
  const criteria = text(input.criteria, 'criteria');
  const terms = text(input.terms, 'terms');
  const before = await getProgram(trx, input.projectId);
  const termsChanged = terms !== before.terms;
  if (!termsChanged && criteria === before.criteria) return { program: before, termsChanged };
  const at = iso(deps.clock.now());
  const termsVersion = termsChanged ? before.termsVersion + 1 : before.termsVersion;
  await saveProgramRow(trx, {
    project_id: input.projectId,
    criteria,
    terms,
    terms_version: termsVersion,
    updated_at: at,
    updated_by: input.by.actor.kind === 'user' ? input.by.actor.userId : null,
  });
  await recordAudit(trx, deps.clock, {
    ...input.by,
    projectId: input.projectId,
    action: 'distributors.program_updated',
    subjectType: 'project',
    subjectId: input.projectId,
    detail: { termsVersion, termsChanged },
  });
  return { program: await getProgram(trx, input.projectId), termsChanged };
}
