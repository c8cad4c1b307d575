import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { activateEmbargo, getEmbargo, proposeEmbargo } from '../../src/domain/cases/embargo.service.js';
import { updateProgram } from '../../src/domain/distributors/program.service.js';
import { generateProjectKey } from '../../src/domain/pgp/pgp-keys.service.js';
import { formatFingerprint } from '../../src/domain/pgp/pgp.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { updateCaseSeverity } from '../../src/domain/severity/case-severity.service.js';
import type { User } from '../../src/domain/users/users.js';
import { testWorker } from '../mail/support.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { ADVISORY, makeList, readyCase, SYSTEM } from '../support/disclosure.js';
import { makeProject, makeUser } from '../support/factories.js';

// Published advisories: nothing of a case is public before its go (the advisory is the same 404 as
// an id that never was, and absent from every list), everything the release makes public is on its
// page after, and the case's title (the reporter's words) is never on any public page.

const TITLE = 'CANARY-7f3q reporter title: overflow found at acme';
const VECTOR = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';

describe.each(engines())('public advisories on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let lead: User;

  beforeEach(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget' });
    lead = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin' });
  });
  afterEach(async () => {
    await ctx.close();
  });

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);
  const get = (url: string) => ctx.app.inject({ method: 'GET', url });

  async function drain(): Promise<void> {
    const worker = testWorker(ctx);
    while ((await worker.runDue()) > 0) {
      // a job may enqueue more
    }
  }

  /** Every public page of the project, by path, as an anonymous visitor gets it. */
  async function publicPages(publicId: string): Promise<Record<string, { status: number; body: string }>> {
    const base = `/p/${project.slug}`;
    const paths = [
      base,
      `${base}/advisories`,
      `${base}/advisories/${publicId}`,
      `${base}/announcements`,
      `${base}/announcements.atom`,
      `${base}/lists`,
      `${base}/distributors`,
    ];
    const announcements = await ctx.deps.db
      .selectFrom('announcements')
      .select('id')
      .where('project_id', '=', project.id)
      .execute();
    paths.push(...announcements.map((a) => `${base}/announcements/${a.id}`));
    const pages: Record<string, { status: number; body: string }> = {};
    for (const path of paths) {
      const res = await get(path);
      pages[path] = { status: res.statusCode, body: res.body };
    }
    return pages;
  }

  it('is 404 and unlisted until the go, then shows every public part, and never the case title', async () => {
    const { theCase } = await readyCase(ctx, project, lead, { title: TITLE });
    const actor = actorOf(lead, project, 'admin');
    await tx((trx) =>
      updateCaseSeverity(trx, ctx.deps, {
        actor,
        origin: noOrigin,
        theCase,
        changes: { cvssV31: VECTOR },
        reason: 'Scored by the Fix Lead.',
      }),
    );
    // A second case whose advisory stays a draft: it must never show.
    await readyCase(ctx, project, lead, {
      title: 'CANARY-second-title',
      advisory: { ...ADVISORY, summary: 'CANARY-second-draft summary', details: 'CANARY-second-draft details' },
    });
    const by = { actor, origin: noOrigin, theCase };
    await tx((trx) => proposeEmbargo(trx, ctx.deps, by));
    await tx((trx) => activateEmbargo(trx, ctx.deps, by));
    const embargo = await getEmbargo(ctx.deps.db, theCase.id);
    if (!embargo?.publicNoticeAt) throw new Error('the timeline is not planned');
    const publicId = `${project.slug.toUpperCase()}-${new Date(embargo.releaseAt).getUTCFullYear()}-0001`;
    const advisoryPath = `/p/${project.slug}/advisories/${publicId}`;

    const embargoed = [TITLE, 'CANARY', ADVISORY.summary, ADVISORY.details, 'Ada Reporter', 'widget --version'];
    const checkNothingPublic = async () => {
      const pages = await publicPages(publicId);
      expect(pages[advisoryPath]?.status).toBe(404);
      expect(pages[`/p/${project.slug}/advisories`]?.body).toContain('No advisory published yet.');
      for (const [path, page] of Object.entries(pages)) {
        if (path !== advisoryPath) expect(page.status, path).toBe(200);
        for (const secret of embargoed) expect(page.body, `${path} shows "${secret}"`).not.toContain(secret);
      }
    };

    await drain();
    await checkNothingPublic();
    // A draft is 404 exactly like an id that never was.
    const never = await get(`/p/${project.slug}/advisories/${project.slug.toUpperCase()}-1999-0042`);
    const draft = await get(advisoryPath);
    expect(draft.statusCode).toBe(never.statusCode);
    expect(draft.body).toBe(never.body);

    // The fix-forthcoming notice is public (an announcement) but says nothing embargoed.
    ctx.clock.set(embargo.publicNoticeAt);
    await drain();
    const notices = await ctx.deps.db
      .selectFrom('announcements')
      .select('kind')
      .where('project_id', '=', project.id)
      .execute();
    expect(notices.map((n) => n.kind)).toEqual(['fix_forthcoming']);
    await checkNothingPublic();

    // Just before the release: still nothing.
    ctx.clock.set(new Date(Date.parse(embargo.releaseAt) - 1000));
    await drain();
    await checkNothingPublic();

    // The go.
    ctx.clock.set(embargo.releaseAt);
    await drain();
    const pages = await publicPages(publicId);

    const list = pages[`/p/${project.slug}/advisories`]?.body ?? '';
    expect(list).toContain(`data-advisory="${publicId}"`);
    expect(list).toContain(ADVISORY.summary);
    expect(list).toContain(`${embargo.releaseAt.slice(0, 16).replace('T', ' ')} UTC`);
    expect(pages[`/p/${project.slug}`]?.body).toContain(`href="${advisoryPath}"`);

    const page = pages[advisoryPath];
    expect(page?.status).toBe(200);
    const html = page?.body ?? '';
    expect(html).toContain(`<h1>${ADVISORY.summary}</h1>`);
    expect(html).toContain(publicId);
    for (const heading of [
      'Severity',
      'Affected versions',
      'Fixed versions',
      'Details',
      'Who is affected',
      'How to check',
      'How to upgrade',
      'Mitigations',
      'How to detect exploitation',
      'Credits',
    ]) {
      expect(html).toContain(`<h2>${heading}</h2>`);
    }
    // Prose is rendered Markdown.
    expect(html).toContain('<code>parse()</code>');
    expect(html).toContain('<code>widget --version</code>');
    for (const text of [ADVISORY.affected, ADVISORY.upgrade, ADVISORY.mitigations, ADVISORY.detection]) {
      expect(html).toContain(text);
    }
    expect(html).toMatch(/Ada Reporter <span class="muted">\(finder\)<\/span>/);
    expect(html).toContain('critical');
    expect(html).toContain(VECTOR);
    expect(html).toContain('9.8');
    const fixed = /data-versions="fixed">(.*?)<\/ul>/s.exec(html)?.[1] ?? '';
    expect(fixed).toMatch(/widget-parser \(npm\) on the 1\.\w+ branch: 1\.4\.2/);
    expect(fixed).toMatch(/widget-parser \(npm\) on the 2\.\w+ branch: 2\.4\.2/);
    const affected = /data-versions="affected">(.*?)<\/ul>/s.exec(html)?.[1] ?? '';
    expect(affected).toMatch(/on the 1\.\w+ branch: >= 1\.0\.0, &lt; 1\.4\.2/);

    // It links to its release announcement, which is public too.
    const [release] = await ctx.deps.db
      .selectFrom('announcements')
      .select('id')
      .where('project_id', '=', project.id)
      .where('kind', '=', 'release')
      .execute();
    expect(html).toContain(`href="/p/${project.slug}/announcements/${release?.id}"`);

    // Never the case's title, nor anything of the other case, on any page or in the feed.
    for (const [path, p] of Object.entries(pages)) {
      expect(p.body, path).not.toContain(TITLE);
      expect(p.body, path).not.toContain('CANARY');
    }
  });

  it('shows the project home: how to report, its key, lists, and the distributor programme', async () => {
    const home = `/p/${project.slug}`;
    const before = await get(home);
    expect(before.statusCode).toBe(200);
    expect(before.body).toContain(`href="${home}/report"`);
    expect(before.body).toContain('href="mailto:security@example.org"');
    expect(before.body).not.toContain('pgp-key.asc');
    expect(before.body).toContain(`href="${home}/distributors"`);
    expect(before.body).toContain(`href="${home}/announcements.atom"`);

    const key = await tx((trx) =>
      generateProjectKey(trx, ctx.deps, { by: { actor: SYSTEM, origin: noOrigin }, projectId: project.id }),
    );
    await makeList(ctx, project, { name: 'security-announce', kinds: ['release'], subscribers: ['x@users.example'] });
    const after = (await get(home)).body;
    expect(after).toContain(`href="${home}/pgp-key.asc"`);
    expect(after).toContain(formatFingerprint(key.fingerprint));
    expect(after).toContain('security-announce');
    expect(after).toContain('(security release)');
    expect(after).toContain(`href="${home}/lists"`);
    expect(after).not.toContain('x@users.example');

    const programme = await get(`${home}/distributors`);
    expect(programme.statusCode).toBe(200);
    expect(programme.body).toContain('data-terms-version="1"');
    expect(programme.body).toMatch(/<li>ships the project to users/);
    expect(programme.body).toContain('href="mailto:security@example.org"');
    await tx((trx) =>
      updateProgram(trx, ctx.deps, {
        by: { actor: SYSTEM, origin: noOrigin },
        projectId: project.id,
        criteria: 'Ship **Widget**. <img src=x onerror=alert(1)>',
        terms: 'Keep it **secret** until the release.',
      }),
    );
    const revised = (await get(`${home}/distributors`)).body;
    expect(revised).toContain('data-terms-version="2"');
    expect(revised).toContain('Keep it <strong>secret</strong> until the release.');
    expect(revised).toContain('Ship <strong>Widget</strong>. &lt;img');
    expect(revised).toContain('version 2');

    const byUrl = await makeProject(ctx.deps.db, ctx.clock, { securityContact: 'https://widget.example/security' });
    expect((await get(`/p/${byUrl.slug}/distributors`)).body).toContain('href="https://widget.example/security"');
    const none = await makeProject(ctx.deps.db, ctx.clock, { securityContact: null });
    expect((await get(`/p/${none.slug}/distributors`)).body).toContain('has not published a contact address');
    expect((await get('/p/no-such-project')).statusCode).toBe(404);
    expect((await get('/p/no-such-project/distributors')).statusCode).toBe(404);
  });

  it('answers 404 for an unknown project or advisory', async () => {
    expect((await get('/p/no-such-project/advisories')).statusCode).toBe(404);
    expect((await get(`/p/${project.slug}/advisories/NOPE-2026-0001`)).statusCode).toBe(404);
    const other = await makeProject(ctx.deps.db, ctx.clock);
    expect((await get(`/p/${other.slug}/advisories`)).body).toContain('No advisory published yet.');
  });
});
