import type { DbOrTrx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { SecurityMdInput } from '../../formats/security-md.js';
import { supportedOn } from '../cases/affected.service.js';
import { getStoredEmbargoPolicy } from '../cases/embargo-policy.service.js';
import { getProjectKey } from '../pgp/pgp-keys.service.js';
import { firstIntakeAddress } from '../pgp/pgp.repository.js';
import type { Project } from '../projects/projects.js';
import { listBranches } from '../projects/projects.service.js';
import { getSeverityPolicy } from '../severity/severity-policy.service.js';
import { baseUrl } from './advisory-record.service.js';
import { getSecuritySettings } from './security-settings.service.js';

// What a project's SECURITY.md and security.txt say, read from its settings: the SECURITY.md
// input for toSecurityMd (the page, the download and `embargo security-md` share it) and the
// contact addresses both files give.

type PublicDeps = Pick<Deps, 'config' | 'clock'>;

/*
 * Embargo has no triage target of its own: this is the promise SECURITY.md makes for it. A week
 * (in the severity policy's day mode) leaves room after the acknowledgement target for reproducing
 * the report and rating it; CERT/CC and most open-source policies say the same order of time.
 */
const TRIAGE_DAYS = 7;

const EMAIL = /^[^\s@<>()]+@[^\s@<>()]+\.[^\s@<>()]+$/;

export interface ProjectContacts {
  /** Addresses that reach the security team, the intake address (mail into Embargo) first; no duplicates. */
  emails: string[];
  /** The project's security contact when it is a web page rather than an address. */
  url: string | null;
  /** The private report form (absolute). */
  reportForm: string;
}

/** Where reporters reach the project's security team, as both public files list it. */
export async function projectContacts(db: DbOrTrx, deps: PublicDeps, project: Project): Promise<ProjectContacts> {
  const intake = await firstIntakeAddress(db, project.id);
  const contact = project.securityContact?.trim() ?? '';
  const isUrl = /^https?:\/\//i.test(contact);
  const address = contact.replace(/^mailto:/i, '');
  const emails = [...new Set([intake, !isUrl && EMAIL.test(address) ? address : undefined])].filter(
    (e): e is string => typeof e === 'string' && e !== '',
  );
  return {
    emails,
    url: isUrl ? contact : null,
    reportForm: `${baseUrl(deps)}/p/${project.slug}/report`,
  };
}

/** The project's public pages that SECURITY.md and security.txt link to, absolute. */
export function projectPublicUrls(deps: PublicDeps, project: Pick<Project, 'slug'>) {
  const base = `${baseUrl(deps)}/p/${project.slug}`;
  return {
    page: base,
    advisories: `${base}/advisories`,
    distributors: `${base}/distributors`,
    acknowledgments: `${base}/acknowledgments`,
    securityTxt: `${base}/security.txt`,
    securityMd: `${base}/SECURITY.md`,
    pgpKey: `${base}/pgp-key.asc`,
  };
}

/** The SECURITY.md input of a project from its real settings (toSecurityMd writes the file). */
export async function securityMdFor(db: DbOrTrx, deps: PublicDeps, project: Project): Promise<SecurityMdInput> {
  const [contacts, key, severity, embargo, branches, settings] = await Promise.all([
    projectContacts(db, deps, project),
    getProjectKey(db, project.id),
    getSeverityPolicy(db, project.id),
    getStoredEmbargoPolicy(db, project.id),
    listBranches(db, project.id),
    getSecuritySettings(db, project.id),
  ]);
  const urls = projectPublicUrls(deps, project);
  const now = deps.clock.now();
  const { targets, dayMode } = severity.policy;
  const { maxDays, distributorNoticeDays, publicNoticeDays, releaseHourUtc, releaseWeekdays } = embargo.policy;
  let bounty: SecurityMdInput['bounty'] = null;
  if (settings.bountyText) bounty = { text: settings.bountyText, url: settings.bountyUrl };
  else if (settings.bountyUrl)
    bounty = { text: `${project.name} runs a bug bounty programme.`, url: settings.bountyUrl };
  return {
    projectName: project.name,
    reportFormUrl: contacts.reportForm,
    securityEmail: contacts.emails[0] ?? null,
    pgpKey: key ? { url: urls.pgpKey, fingerprint: key.fingerprint } : null,
    acknowledgeHours: project.ackTargetHours,
    triageDays: TRIAGE_DAYS,
    fixDays: {
      critical: targets.critical.fixDays,
      high: targets.high.fixDays,
      medium: targets.medium.fixDays,
      low: targets.low.fixDays,
    },
    dayMode,
    branches: branches.map((b) => ({
      name: b.name,
      supported: supportedOn(b.endOfSupport, now),
      endOfSupport: b.endOfSupport,
    })),
    embargo: { maxDays, distributorNoticeDays, publicNoticeDays, releaseHourUtc, releaseWeekdays },
    bounty,
    links: { advisories: urls.advisories, distributors: urls.distributors, securityTxt: urls.securityTxt },
  };
}
