import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { type Announcement, KIND_WORDS } from '../../domain/announcements/announcements.js';
import {
  announcementUrl,
  listAnnouncements,
  requireAnnouncement,
} from '../../domain/announcements/announcements.service.js';
import type { Project } from '../../domain/projects/projects.js';
import { atomFeed } from '../../formats/atom.js';
import { Markdown, renderMarkdown } from '../views/markdown.js';
import { PublicDate, PublicNav, publicProject, SlugParams } from './public-project.js';

// A project's announcements (fix-forthcoming notices, security releases, release updates): public
// from the moment they are published, as pages and as an Atom feed. An announcement's text was
// written from public values only (release/announcement-text.ts), so it is shown as it is.

const IdParams = Type.Object({ slug: SlugParams.properties.slug, id: Type.String({ minLength: 1, maxLength: 100 }) });

const PAGE_SIZE = 200;
const FEED_SIZE = 50;

function AnnouncementsPage({ project, announcements }: { project: Project; announcements: Announcement[] }) {
  const base = `/p/${project.slug}/announcements`;
  return (
    <section class="public-announcements">
      <PublicNav project={project} current="announcements" />
      <h1>{project.name}: announcements</h1>
      <p class="muted">
        Also as an <a href={`${base}.atom`}>Atom feed</a>, and by email from the{' '}
        <a href={`/p/${project.slug}/lists`}>mailing lists</a>.
      </p>
      {announcements.length === 0 ? (
        <p class="muted">No announcement yet.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Published</th>
              <th>Kind</th>
              <th>Subject</th>
            </tr>
          </thead>
          <tbody>
            {announcements.map((a) => (
              <tr key={a.id} data-announcement={a.id}>
                <td>
                  <PublicDate at={a.publishedAt} />
                </td>
                <td>
                  <span class="badge">{KIND_WORDS[a.kind]}</span>
                </td>
                <td>
                  <a href={`${base}/${a.id}`}>{a.subject}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function AnnouncementPage({ project, announcement }: { project: Project; announcement: Announcement }) {
  return (
    <article class="public-announcement" data-announcement={announcement.id}>
      <PublicNav project={project} current="announcements" />
      <h1>{announcement.subject}</h1>
      <p class="muted">
        <span class="badge">{KIND_WORDS[announcement.kind]}</span> published{' '}
        <PublicDate at={announcement.publishedAt} />
      </p>
      <Markdown source={announcement.body} />
      <p>
        <a href={`/p/${project.slug}/announcements`}>Every announcement</a>
      </p>
    </article>
  );
}

/** HTTP dates carry whole seconds: compare at that precision. */
const seconds = (ms: number) => Math.floor(ms / 1000);

/** /p/:slug/announcements, one announcement, and the Atom feed. */
export function publicAnnouncementsPages(deps: Deps) {
  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const origin = deps.config.publicUrl.href.replace(/\/+$/, '');

    app.get('/p/:slug/announcements', { schema: { params: SlugParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const announcements = await listAnnouncements(deps.db, project.id, PAGE_SIZE);
      return reply.page(<AnnouncementsPage project={project} announcements={announcements} />, {
        title: `${project.name}: announcements`,
        feeds: [{ title: `${project.name} security announcements`, href: `/p/${project.slug}/announcements.atom` }],
      });
    });

    app.get('/p/:slug/announcements.atom', { schema: { params: SlugParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const announcements = await listAnnouncements(deps.db, project.id, FEED_SIZE);
      // Announcements are never edited: the newest one's publication is the feed's last change.
      const updated = announcements[0]?.publishedAt ?? project.createdAt;
      const lastModified = Date.parse(updated);
      // Public by nature: a cache may keep it, but asks again each time (a new release must show).
      reply.header('cache-control', 'no-cache').header('last-modified', new Date(lastModified).toUTCString());
      const since = Date.parse(request.headers['if-modified-since'] ?? '');
      if (!Number.isNaN(since) && seconds(lastModified) <= seconds(since)) return reply.status(304).send();
      const page = `${origin}/p/${project.slug}/announcements`;
      const xml = atomFeed({
        id: `${page}.atom`,
        title: `${project.name} security announcements`,
        subtitle: `Fix-forthcoming notices, security releases and release updates of ${project.name}.`,
        selfLink: `${page}.atom`,
        alternateLink: page,
        updated,
        author: { name: `${project.name} security team`, uri: `${origin}/p/${project.slug}` },
        entries: announcements.map((a) => ({
          // Announcement ids are UUIDs (ids.ts newId), stable whatever the instance's URL becomes.
          id: `urn:uuid:${a.id}`,
          title: a.subject,
          link: announcementUrl(deps, project.slug, a.id),
          published: a.publishedAt,
          updated: a.publishedAt,
          categories: [{ term: a.kind, label: KIND_WORDS[a.kind] }],
          contentHtml: renderMarkdown(a.body),
        })),
      });
      return reply.type('application/atom+xml; charset=utf-8').send(xml);
    });

    app.get('/p/:slug/announcements/:id', { schema: { params: IdParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const announcement = await requireAnnouncement(deps.db, project.id, request.params.id);
      return reply.page(<AnnouncementPage project={project} announcement={announcement} />, {
        title: announcement.subject,
      });
    });
  };
}
