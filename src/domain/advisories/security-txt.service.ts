import type { DbOrTrx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { type SecurityTxtInput, toSecurityTxt } from '../../formats/security-txt.js';
import { getProjectKey } from '../pgp/pgp-keys.service.js';
import type { Project } from '../projects/projects.js';
import { getProjectBySlug, listProjects } from '../projects/projects.service.js';
import { baseUrl } from './advisory-record.service.js';
import { cleartextSigned, type SignatureCache } from './public-signatures.js';
import { projectContacts, projectPublicUrls } from './security-md.service.js';
import { getSecuritySettings } from './security-settings.service.js';

// A project's security.txt (RFC 9116), served at /p/<slug>/security.txt and, for the instance's
// well-known project, at /.well-known/security.txt. Expires is computed from the clock on every
// request, so the file never goes stale; with a project key it is an OpenPGP cleartext message.

type TxtDeps = Pick<Deps, 'config' | 'clock' | 'secret'>;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The instance's CSAF provider metadata (CSAF 2.0 7.1.7), which security.txt's CSAF field names. */
export const providerMetadataUrl = (deps: Pick<Deps, 'config'>) =>
  `${baseUrl(deps)}/.well-known/csaf/provider-metadata.json`;

/**
 * The project /.well-known/ speaks for: the configured one (EMBARGO_WELL_KNOWN_PROJECT), else the
 * instance's only project; null when neither names one (an instance of several projects has no
 * single security.txt to give).
 */
export async function wellKnownProject(db: DbOrTrx, deps: Pick<Deps, 'config'>): Promise<Project | null> {
  const slug = deps.config.wellKnownProject;
  if (slug) return (await getProjectBySlug(db, slug)) ?? null;
  const projects = await listProjects(db);
  return projects.length === 1 ? (projects[0] ?? null) : null;
}

/** The fields of the project's security.txt as served at `canonical` today (the clock's UTC day). */
export async function securityTxtInput(
  db: DbOrTrx,
  deps: TxtDeps,
  input: { project: Project; canonical: string },
): Promise<SecurityTxtInput> {
  const { project } = input;
  const [contacts, key, settings] = await Promise.all([
    projectContacts(db, deps, project),
    getProjectKey(db, project.id),
    getSecuritySettings(db, project.id),
  ]);
  const urls = projectPublicUrls(deps, project);
  // From the start of today, so every request of a day serves (and signs) the same text.
  const today = Math.floor(deps.clock.now().getTime() / DAY_MS) * DAY_MS;
  return {
    contacts: [
      ...contacts.emails.map((e) => `mailto:${e}`),
      ...(contacts.url ? [contacts.url] : []),
      contacts.reportForm,
    ],
    expires: new Date(today + settings.securityTxtDays * DAY_MS).toISOString(),
    encryption: key ? [urls.pgpKey] : [],
    acknowledgments: [urls.acknowledgments],
    preferredLanguages: ['en'],
    canonical: [input.canonical],
    policy: [urls.securityMd],
    hiring: [],
    csaf: [providerMetadataUrl(deps)],
    comment: `${project.name}: how to report a security vulnerability.`,
  };
}

/** The security.txt text as served: cleartext-signed with the project's key when it has one. */
export async function securityTxtFor(
  db: DbOrTrx,
  deps: TxtDeps,
  input: { project: Project; canonical: string; cache: SignatureCache },
): Promise<string> {
  const text = toSecurityTxt(await securityTxtInput(db, deps, input));
  return (await cleartextSigned(db, deps, { projectId: input.project.id, text, cache: input.cache })) ?? text;
}
