import { iso } from '../../clock.js';
import type { Trx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { addMailingList } from '../announcements/lists.service.js';
import { acceptTerms, addContact, addDistributor } from '../distributors/distributors.service.js';
import { isDomainError } from '../../errors.js';
import { newId } from '../ids.js';
import { insertIntakeAddressRow } from '../mail-intake/intake-addresses.repository.js';
import { normaliseIntakeAddress } from '../mail-intake/intake-addresses.service.js';
import { createProject, getProjectBySlug } from '../projects/projects.service.js';

export const DEMO_SLUG = 'demo';

const SEED = { actor: { kind: 'system', label: 'demo seed' }, origin: { ip: null, userAgent: null } } as const;

/**
 * Seeds the demo project on a fresh instance, so a newcomer has somewhere to send a report (by form,
 * and by mail to `security@<mailDomain>` when a mail domain is given) and can take a case to its
 * release: two release branches, a distributor that accepted the embargo terms (its contact's mail
 * lands in Outgoing mail until SMTP is configured), and the mailing lists security-announce (every
 * announcement) and announce (releases). Idempotent.
 */
export async function seedDemoProject(
  trx: Trx,
  deps: Pick<Deps, 'clock' | 'config'>,
  options: { mailDomain?: string } = {},
): Promise<boolean> {
  const { clock } = deps;
  if (await getProjectBySlug(trx, DEMO_SLUG)) return false;
  const anyProject = await trx.selectFrom('projects').select('id').limit(1).executeTakeFirst();
  if (anyProject) return false;
  const project = await createProject(trx, clock, {
    slug: DEMO_SLUG,
    name: 'Demo Project',
    repositoryUrl: 'https://example.org/demo/demo.git',
    securityContact: 'security@example.org',
    ackTargetHours: 24,
  });
  const now = iso(clock.now());
  await trx
    .insertInto('release_branches')
    .values([
      { id: newId(), project_id: project.id, name: 'main', end_of_support: null, created_at: now },
      { id: newId(), project_id: project.id, name: '1.x', end_of_support: '2027-06-30', created_at: now },
    ])
    .execute();
  const address = demoIntakeAddress(options.mailDomain);
  if (address) await insertIntakeAddressRow(trx, { id: newId(), project_id: project.id, address, created_at: now });
  const distributor = await addDistributor(trx, deps, {
    by: SEED,
    projectId: project.id,
    name: 'Example Linux',
    website: 'https://distro.example/',
  });
  await addContact(trx, deps, {
    by: SEED,
    projectId: project.id,
    distributorId: distributor.id,
    email: 'security@distro.example',
    name: 'Example Linux security team',
  });
  await acceptTerms(trx, deps, {
    by: SEED,
    projectId: project.id,
    distributorId: distributor.id,
    note: 'Demo data: a distributor that accepted the embargo terms.',
  });
  await addMailingList(trx, deps, {
    by: SEED,
    projectId: project.id,
    name: 'security-announce',
    description: 'Every security announcement: fixes forthcoming, their date changes and releases.',
    kinds: ['fix_forthcoming', 'update', 'release'],
  });
  await addMailingList(trx, deps, {
    by: SEED,
    projectId: project.id,
    name: 'announce',
    description: 'Security releases only.',
    kinds: ['release'],
  });
  return true;
}

/** security@<domain>, or undefined when the domain cannot make an intake address (an IPv6 literal). */
function demoIntakeAddress(domain: string | undefined): string | undefined {
  if (!domain) return undefined;
  try {
    return normaliseIntakeAddress(`security@${domain}`);
  } catch (err) {
    if (isDomainError(err)) return undefined;
    throw err;
  }
}
