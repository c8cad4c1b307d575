import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DbOrTrx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import type { AdvisoryRecord } from '../../domain/advisories/advisory-record.js';
import { allPublicRecords } from '../../domain/advisories/advisory-search.js';
import { type Announcement, KIND_WORDS, type MailingList } from '../../domain/announcements/announcements.js';
import { listAnnouncements } from '../../domain/announcements/announcements.service.js';
import { listMailingLists } from '../../domain/announcements/lists.service.js';
import type { DistributorProgram } from '../../domain/distributors/distributors.js';
import { getProgram } from '../../domain/distributors/program.service.js';
import { getProjectKey } from '../../domain/pgp/pgp-keys.service.js';
import { formatFingerprint } from '../../domain/pgp/pgp.js';
import type { Project } from '../../domain/projects/projects.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { authorize } from '../../policies/policy.js';
import { Markdown } from '../views/markdown.js';
import { when } from '../views/time.js';

// A project's public face: how to report, what it published (advisories, announcements and their
// feed), the lists to subscribe to, and its distributor programme. Only what is public by nature is
// read here (published advisories, sent announcements, list names): never a case, a draft or an
// address. The other public modules (public-lists, -announcements, -advisories) share the helpers.

export const SlugParams = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) });

/** The project of a public page (PROJECT_NOT_FOUND: the 404 page), for anyone ('project.public.read'). */
export async function publicProject(db: DbOrTrx, request: FastifyRequest, slug: string): Promise<Project> {
  const project = await requireProject(db, slug);
  authorize(request.actor, 'project.public.read', { projectId: project.id });
  return project;
}

export type PublicTab = 'home' | 'advisories' | 'announcements' | 'lists' | 'distributors' | 'acknowledgments';

export function PublicNav({ project, current }: { project: Project; current: PublicTab }) {
  const base = `/p/${project.slug}`;
  const tabs: [PublicTab, string, string][] = [
    ['home', base, project.name],
    ['advisories', `${base}/advisories`, 'Advisories'],
    ['announcements', `${base}/announcements`, 'Announcements'],
    ['lists', `${base}/lists`, 'Mailing lists'],
    ['distributors', `${base}/distributors`, 'Distributors'],
    ['acknowledgments', `${base}/acknowledgments`, 'Acknowledgments'],
  ];
  return (
    <nav class="tabs">
      {tabs.map(([tab, href, label]) => (
        <a key={tab} href={href} aria-current={tab === current ? 'page' : undefined}>
          {label}
        </a>
      ))}
      <a href={`${base}/report`}>Report a vulnerability</a>
    </nav>
  );
}

/** A stored instant as the public pages write it (UTC, to the minute). */
export function PublicDate({ at }: { at: string }) {
  return <time dateTime={at}>{when(at)}</time>;
}

/** The project's security contact: an email address or an http(s) URL (projects.service checks which). */
function ContactLink({ contact }: { contact: string }) {
  if (/^https?:\/\//i.test(contact)) return <a href={contact}>{contact}</a>;
  const address = contact.replace(/^mailto:/i, '');
  return <a href={`mailto:${address}`}>{address}</a>;
}

/** What a list carries, in words. */
export function listCarries(list: MailingList): string {
  return list.kinds.map((k) => KIND_WORDS[k].toLowerCase()).join(', ');
}

interface HomeProps {
  project: Project;
  pgpFingerprint: string | null;
  advisories: AdvisoryRecord[];
  announcements: Announcement[];
  lists: MailingList[];
}

const LATEST = 5;

function ProjectHome({ project, pgpFingerprint, advisories, announcements, lists }: HomeProps) {
  const base = `/p/${project.slug}`;
  return (
    <section class="public-project">
      <PublicNav project={project} current="home" />
      <h1>{project.name} security</h1>
      {project.repositoryUrl ? (
        <p class="muted">
          Source: <a href={project.repositoryUrl}>{project.repositoryUrl}</a>
        </p>
      ) : null}

      <h2 id="report">Report a vulnerability</h2>
      <p>
        Please report security problems privately, never in a public issue: use the{' '}
        <a href={`${base}/report`}>report form</a>. Only the {project.name} security team reads it, and you need no
        account.
        {project.securityContact ? (
          <>
            {' '}
            You can also reach the security team at <ContactLink contact={project.securityContact} />.
          </>
        ) : null}
      </p>
      {pgpFingerprint ? (
        <p class="pgp-key-note" data-pgp>
          To encrypt your report, use our OpenPGP key: <a href={`${base}/pgp-key.asc`}>public key</a>, fingerprint{' '}
          <code class="fingerprint">{formatFingerprint(pgpFingerprint)}</code>.
        </p>
      ) : null}

      <h2 id="advisories">Security advisories</h2>
      {advisories.length === 0 ? (
        <p class="muted">No advisory published yet.</p>
      ) : (
        <ul data-advisories>
          {advisories.slice(0, LATEST).map((a) => (
            <li key={a.id}>
              <a href={`${base}/advisories/${a.id}`}>
                <code>{a.id}</code> {a.summary}
              </a>{' '}
              {a.withdrawn ? <span class="badge">withdrawn</span> : null}{' '}
              <span class="muted">
                <PublicDate at={a.published} />
              </span>
            </li>
          ))}
        </ul>
      )}
      <p>
        <a href={`${base}/advisories`}>Every advisory</a> (search and filters) ·{' '}
        <a href={`${base}/osv/all.zip`}>all as OSV (zip)</a> ·{' '}
        <a href="/.well-known/csaf/provider-metadata.json">CSAF provider metadata</a> ·{' '}
        <a href="/advisories">every project's advisories</a>
      </p>

      <h2 id="policy">Security policy</h2>
      <p>
        How we handle reports, what we support and how we disclose: <a href={`${base}/SECURITY.md`}>SECURITY.md</a>{' '}
        (download) · <a href={`${base}/security.txt`}>security.txt</a> ·{' '}
        <a href={`${base}/acknowledgments`}>acknowledgments</a>
      </p>

      <h2 id="announcements">Announcements</h2>
      {announcements.length === 0 ? (
        <p class="muted">No announcement yet.</p>
      ) : (
        <ul data-announcements>
          {announcements.slice(0, LATEST).map((a) => (
            <li key={a.id}>
              <span class="badge">{KIND_WORDS[a.kind]}</span> <a href={`${base}/announcements/${a.id}`}>{a.subject}</a>{' '}
              <span class="muted">
                <PublicDate at={a.publishedAt} />
              </span>
            </li>
          ))}
        </ul>
      )}
      <p>
        <a href={`${base}/announcements`}>Every announcement</a> · <a href={`${base}/announcements.atom`}>Atom feed</a>
      </p>

      <p>
        Does your project depend on {project.name}, or on anything else? Register your SBOM or package URLs at{' '}
        <a href="/dependents/subscribe">/dependents/subscribe</a> to be told when an advisory affects a version you
        ship.
      </p>

      <h2 id="lists">Mailing lists</h2>
      {lists.length === 0 ? (
        <p class="muted">The project has no mailing list yet.</p>
      ) : (
        <>
          <ul data-lists>
            {lists.map((l) => (
              <li key={l.id}>
                <strong>{l.name}</strong>
                {l.description ? `: ${l.description}` : null} <span class="muted">({listCarries(l)})</span>
              </li>
            ))}
          </ul>
          <p>
            <a href={`${base}/lists`}>Subscribe</a>
          </p>
        </>
      )}

      <h2 id="distributors">Distributors</h2>
      <p>
        Distributions and vendors who ship {project.name} can hear of fixes ahead of their release, under embargo:{' '}
        <a href={`${base}/distributors`}>the distributor programme</a>.
      </p>
    </section>
  );
}

function DistributorsPage({ project, program }: { project: Project; program: DistributorProgram }) {
  return (
    <section class="public-distributors">
      <PublicNav project={project} current="distributors" />
      <h1>{project.name}: the distributor programme</h1>
      <p>
        Members of the programme (operating system distributions, vendors, hosting providers) are told of a security fix
        some days before its public release, with the advisory and the patches, so that their users can be protected the
        day it is published.
      </p>
      <h2>Who may join</h2>
      <Markdown source={program.criteria} />
      <h2>
        Embargo terms{' '}
        <span class="badge" data-terms-version={program.termsVersion}>
          version {program.termsVersion}
        </span>
      </h2>
      {program.updatedAt ? (
        <p class="muted">
          Last changed <PublicDate at={program.updatedAt} />.
        </p>
      ) : null}
      <Markdown source={program.terms} />
      <h2>How to apply</h2>
      {project.securityContact ? (
        <p data-apply>
          Write to the project's security contact, <ContactLink contact={project.securityContact} />, saying who you
          are, what you ship and who vouches for you, and that you accept the terms above (version{' '}
          {program.termsVersion}).
        </p>
      ) : (
        <p class="muted" data-apply>
          The project has not published a contact address for applications yet.
        </p>
      )}
    </section>
  );
}

/** GET /p/:slug and /p/:slug/distributors. */
export function publicProjectPages(deps: Deps) {
  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();

    app.get('/p/:slug', { schema: { params: SlugParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const [key, advisories, announcements, lists] = await Promise.all([
        getProjectKey(deps.db, project.id),
        allPublicRecords(deps.db, project.id),
        listAnnouncements(deps.db, project.id, LATEST),
        listMailingLists(deps.db, project.id),
      ]);
      const page = (
        <ProjectHome
          project={project}
          pgpFingerprint={key?.fingerprint ?? null}
          advisories={advisories}
          announcements={announcements}
          lists={lists}
        />
      );
      return reply.page(page, {
        title: `${project.name} security`,
        feeds: [{ title: `${project.name} security announcements`, href: `/p/${project.slug}/announcements.atom` }],
      });
    });

    app.get('/p/:slug/distributors', { schema: { params: SlugParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const program = await getProgram(deps.db, project.id);
      return reply.page(<DistributorsPage project={project} program={program} />, {
        title: `${project.name}: distributor programme`,
      });
    });
  };
}
