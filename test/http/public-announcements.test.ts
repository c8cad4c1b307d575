import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS } from '../../src/clock.js';
import type { Announcement, AnnouncementKind } from '../../src/domain/announcements/announcements.js';
import { publishAnnouncement } from '../../src/domain/announcements/announcements.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { makeProject } from '../support/factories.js';

// The public announcements of a project: the list, each page, and the Atom feed read back with a
// real XML parser.

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  isArray: (name) => name === 'entry' || name === 'link',
});

describe.each(engines())('public announcements on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let other: Project;
  let forthcoming: Announcement;
  let release: Announcement;
  let foreign: Announcement;

  async function publish(p: Project, kind: AnnouncementKind, subject: string, body: string) {
    const theCase = await makeCase(ctx, p);
    return ctx.deps.db.transaction().execute((trx) =>
      publishAnnouncement(trx, ctx.deps, {
        projectId: p.id,
        caseId: theCase.id,
        kind,
        dedupeKey: kind,
        subject,
        body,
      }),
    );
  }

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget' });
    other = await makeProject(ctx.deps.db, ctx.clock, { name: 'Gadget' });
    forthcoming = await publish(
      project,
      'fix_forthcoming',
      'Widget: security fix forthcoming',
      'A fix comes on **Tuesday**.',
    );
    ctx.clock.advance(2 * HOUR_MS);
    release = await publish(
      project,
      'release',
      'Widget <2.0> & "friends" released',
      '## Who is affected\n\nEveryone & their <script>alert(1)</script> [dog](https://example.org/?a=1&b=2).',
    );
    foreign = await publish(other, 'release', 'Gadget 9 released', 'Gadget body.');
  });
  afterAll(async () => {
    await ctx.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) => ctx.app.inject({ method: 'GET', url, headers });

  it('lists the announcements newest first, with kind, subject and date', async () => {
    const res = await get(`/p/${project.slug}/announcements`);
    expect(res.statusCode).toBe(200);
    const rows = [...res.body.matchAll(/data-announcement="([^"]+)"/g)].map((m) => m[1]);
    expect(rows).toEqual([release.id, forthcoming.id]);
    expect(res.body).toContain('Security release');
    expect(res.body).toContain('Fix forthcoming');
    // Preact escapes < & and quotes in text (a lone > cannot open markup).
    expect(res.body).toContain('Widget &lt;2.0> &amp; &quot;friends&quot; released');
    expect(res.body).not.toContain('<2.0>');
    expect(res.body).toContain(`${release.publishedAt.slice(0, 16).replace('T', ' ')} UTC`);
    expect(res.body).toContain(`href="/p/${project.slug}/announcements.atom"`);
    // Announced in the head too, so that a feed reader finds the feed from the page.
    expect(res.body).toMatch(
      /<link rel="alternate" type="application\/atom\+xml" title="[^"]+" href="\/p\/[^"]+\/announcements\.atom"/,
    );
    expect(res.body).not.toContain('Gadget 9 released');
  });

  it('shows one announcement with its Markdown rendered and raw HTML escaped', async () => {
    const res = await get(`/p/${project.slug}/announcements/${release.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<h2>Who is affected</h2>');
    expect(res.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.body).not.toContain('<script>alert(1)');
    expect(res.body).toContain('Security release');
    const page = await get(`/p/${project.slug}/announcements/${forthcoming.id}`);
    expect(page.body).toContain('<strong>Tuesday</strong>');
  });

  it('answers 404 for an unknown id and for another project’s announcement', async () => {
    expect((await get(`/p/${project.slug}/announcements/00000000-0000-4000-8000-000000000000`)).statusCode).toBe(404);
    const misplaced = await get(`/p/${project.slug}/announcements/${foreign.id}`);
    expect(misplaced.statusCode).toBe(404);
    expect(misplaced.body).not.toContain('Gadget');
    expect((await get(`/p/${other.slug}/announcements/${foreign.id}`)).statusCode).toBe(200);
    expect((await get('/p/no-such-project/announcements')).statusCode).toBe(404);
    expect((await get('/p/no-such-project/announcements.atom')).statusCode).toBe(404);
  });

  it('serves an Atom feed that parses, links each entry to its page and escapes the subject', async () => {
    const res = await get(`/p/${project.slug}/announcements.atom`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(XMLValidator.validate(res.body)).toBe(true);
    const feed = parser.parse(res.body).feed;
    expect(feed['@xmlns']).toBe('http://www.w3.org/2005/Atom');
    expect(feed.title['#text']).toBe('Widget security announcements');
    const base = `http://localhost:8080/p/${project.slug}`;
    expect(feed.link.map((l: Record<string, string>) => [l['@rel'], l['@href']])).toEqual([
      ['self', `${base}/announcements.atom`],
      ['alternate', `${base}/announcements`],
    ]);
    expect(feed.updated).toBe(release.publishedAt.replace(/\.\d{3}Z$/, 'Z'));
    expect(feed.entry).toHaveLength(2);
    const [first, second] = feed.entry;
    expect(first.id).toBe(`urn:uuid:${release.id}`);
    expect(first.title['#text']).toBe('Widget <2.0> & "friends" released');
    expect(first.link[0]['@href']).toBe(`${base}/announcements/${release.id}`);
    expect(first.category['@term']).toBe('release');
    expect(first.content['@type']).toBe('html');
    // The content is the rendered Markdown, as text: unescaped once, it is HTML with the script escaped.
    expect(first.content['#text']).toContain('<h2>Who is affected</h2>');
    expect(first.content['#text']).toContain('&lt;script&gt;');
    expect(first.content['#text']).toContain('href="https://example.org/?a=1&amp;b=2"');
    expect(second.id).toBe(`urn:uuid:${forthcoming.id}`);
    expect(second.content['#text']).toContain('<strong>Tuesday</strong>');
    expect(res.body).not.toContain('Gadget');

    // The page each entry links to exists.
    expect((await get(new URL(first.link[0]['@href']).pathname)).statusCode).toBe(200);
  });

  it('answers 304 when the feed has not changed since If-Modified-Since', async () => {
    const res = await get(`/p/${project.slug}/announcements.atom`);
    const lastModified = res.headers['last-modified'];
    expect(lastModified).toBe(new Date(release.publishedAt).toUTCString());
    const same = await get(`/p/${project.slug}/announcements.atom`, { 'if-modified-since': String(lastModified) });
    expect(same.statusCode).toBe(304);
    expect(same.body).toBe('');
    const older = new Date(Date.parse(release.publishedAt) - 60_000).toUTCString();
    expect((await get(`/p/${project.slug}/announcements.atom`, { 'if-modified-since': older })).statusCode).toBe(200);
    expect((await get(`/p/${project.slug}/announcements.atom`, { 'if-modified-since': 'garbage' })).statusCode).toBe(
      200,
    );
  });

  it('serves an empty but valid feed for a project with no announcement', async () => {
    const empty = await makeProject(ctx.deps.db, ctx.clock, { name: 'Empty' });
    const res = await get(`/p/${empty.slug}/announcements.atom`);
    expect(res.statusCode).toBe(200);
    expect(XMLValidator.validate(res.body)).toBe(true);
    expect(parser.parse(res.body).feed.entry).toBeUndefined();
    expect((await get(`/p/${empty.slug}/announcements`)).body).toContain('No announcement yet.');
  });
});
