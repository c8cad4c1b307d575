import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoProject } from '../../src/domain/instance/demo.service.js';
import { loadConfig } from '../../src/config.js';
import { listDistributors } from '../../src/domain/distributors/distributors.service.js';
import { listMailingLists } from '../../src/domain/announcements/lists.service.js';
import { listIntakeAddresses, projectForRecipient } from '../../src/domain/mail-intake/intake-addresses.service.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { createTestDatabase, engines } from '../support/databases.js';
import { Browser, login, makeProject, makeUser } from '../support/factories.js';
import { errorCode } from '../support/intake.js';

describe.each(engines())('intake address settings on %s', (engine) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext(engine, { env: { EMBARGO_MAIL_DOMAIN: 'mail.example.org' } });
  });
  afterAll(() => ctx.close());

  async function adminBrowser() {
    const project = await makeProject(ctx.deps.db, ctx.clock);
    const admin = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin' });
    const browser = new Browser(ctx.app);
    await login(browser, admin.email);
    return { project, browser, url: `/p/${project.slug}/settings/mail` };
  }

  it('lets a project admin add (lowercased) and remove addresses, audited, and shows the reply domain', async () => {
    const { project, browser, url } = await adminBrowser();
    const page = await browser.get(url);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('mail.example.org');
    const address = `Security-${project.slug}@Example.ORG`;
    expect((await browser.submit(url, url, { address })).statusCode).toBe(303);
    const [added] = await listIntakeAddresses(ctx.deps.db, project.id);
    expect(added?.address).toBe(address.toLowerCase());
    expect(await projectForRecipient(ctx.deps.db, address.toUpperCase())).toBe(project.id);
    expect((await browser.get(url)).body).toContain(address.toLowerCase());

    const removed = await browser.submit(url, `${url}/${added?.id}/remove`, {});
    expect(removed.statusCode).toBe(303);
    expect(await listIntakeAddresses(ctx.deps.db, project.id)).toEqual([]);
    const actions = await ctx.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('subject_id', '=', added?.id ?? '')
      .orderBy('at')
      .execute();
    expect(actions.map((a) => a.action)).toEqual(['mail.address_added', 'mail.address_removed']);
  });

  it("refuses another project's address with 409 and a malformed one with 400, re-rendering the form", async () => {
    const first = await adminBrowser();
    const second = await adminBrowser();
    const address = `shared-${first.project.slug}@example.org`;
    await first.browser.submit(first.url, first.url, { address });
    const taken = await second.browser.submit(second.url, second.url, { address: address.toUpperCase() });
    expect(taken.statusCode).toBe(409);
    expect(errorCode(taken)).toBeUndefined();
    expect(taken.body).toContain('already receives mail');
    for (const bad of ['not an address', 'a@b@c.org', 'x+r-r-aaaa-bbbb-0123@example.org', '"q"@example.org']) {
      const res = await second.browser.submit(second.url, second.url, { address: bad });
      expect(res.statusCode).toBe(400);
    }
    expect(await listIntakeAddresses(ctx.deps.db, second.project.id)).toEqual([]);
  });

  it("does not let a member remove another project's address through their own project", async () => {
    const first = await adminBrowser();
    const second = await adminBrowser();
    await first.browser.submit(first.url, first.url, { address: `keep-${first.project.slug}@example.org` });
    const [address] = await listIntakeAddresses(ctx.deps.db, first.project.id);
    const res = await second.browser.submit(second.url, `${second.url}/${address?.id}/remove`, {});
    expect(res.statusCode).toBe(404);
    expect(await listIntakeAddresses(ctx.deps.db, first.project.id)).toHaveLength(1);
  });

  it("does not let an instance admin move another project's address to a project they control", async () => {
    const victim = await adminBrowser();
    const address = `moved-${victim.project.slug}@example.org`;
    await victim.browser.submit(victim.url, victim.url, { address });
    const [kept] = await listIntakeAddresses(ctx.deps.db, victim.project.id);
    // An instance admin who is an admin of a project of their own.
    const theirs = await makeProject(ctx.deps.db, ctx.clock);
    const instanceAdmin = await makeUser(ctx.deps.db, ctx.clock, {
      isInstanceAdmin: true,
      project: theirs,
      role: 'admin',
    });
    const browser = new Browser(ctx.app);
    await login(browser, instanceAdmin.email);

    // They still see the victim's addresses (project settings), without the forms to change them.
    const page = await browser.get(victim.url);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(address);
    expect(page.body).not.toContain(`${victim.url}/${kept?.id}/remove`);
    expect(page.body).not.toContain('name="address"');

    const removed = await browser.submit(victim.url, `${victim.url}/${kept?.id}/remove`, {});
    expect(removed.statusCode).toBe(403);
    const added = await browser.submit(victim.url, victim.url, {
      address: `another-${victim.project.slug}@example.org`,
    });
    expect(added.statusCode).toBe(403);
    expect(await listIntakeAddresses(ctx.deps.db, victim.project.id)).toEqual([kept]);
    // And the address stays taken for their own project.
    const theirUrl = `/p/${theirs.slug}/settings/mail`;
    expect((await browser.submit(theirUrl, theirUrl, { address })).statusCode).toBe(409);
    expect(await projectForRecipient(ctx.deps.db, address)).toBe(victim.project.id);
    const audited = await ctx.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('project_id', '=', victim.project.id)
      .where('action', '=', 'mail.address_removed')
      .execute();
    expect(audited).toEqual([]);
  });

  it('lets an instance admin set the addresses of a project without an admin', async () => {
    const orphan = await makeProject(ctx.deps.db, ctx.clock);
    await makeUser(ctx.deps.db, ctx.clock, { project: orphan, role: 'security' });
    const instanceAdmin = await makeUser(ctx.deps.db, ctx.clock, { isInstanceAdmin: true });
    const browser = new Browser(ctx.app);
    await login(browser, instanceAdmin.email);
    const url = `/p/${orphan.slug}/settings/mail`;
    const address = `orphan-${orphan.slug}@example.org`;
    expect((await browser.submit(url, url, { address })).statusCode).toBe(303);
    const [added] = await listIntakeAddresses(ctx.deps.db, orphan.id);
    expect(added?.address).toBe(address);
    expect((await browser.submit(url, `${url}/${added?.id}/remove`, {})).statusCode).toBe(303);
    expect(await listIntakeAddresses(ctx.deps.db, orphan.id)).toEqual([]);
  });
});

describe.each(engines())('the demo project on %s', (engine) => {
  it('gets security@<mail domain> as its intake address', async () => {
    const t = await createTestDatabase(engine);
    try {
      const clock = { now: () => new Date('2026-03-02T09:00:00Z') };
      const config = loadConfig({ EMBARGO_PUBLIC_URL: 'http://localhost:8080' });
      await t.db
        .transaction()
        .execute((trx) => seedDemoProject(trx, { clock, config }, { mailDomain: 'embargo.example.org' }));
      expect(await projectForRecipient(t.db, 'security@embargo.example.org')).not.toBeNull();
      // Ready for a case's disclosure: a distributor that accepted the terms, and two lists.
      const project = await t.db
        .selectFrom('projects')
        .select('id')
        .where('slug', '=', 'demo')
        .executeTakeFirstOrThrow();
      const distributors = await listDistributors(t.db, project.id);
      expect(distributors.map((d) => [d.name, d.acceptedCurrentTerms, d.contacts.map((c) => c.email)])).toEqual([
        ['Example Linux', true, ['security@distro.example']],
      ]);
      expect((await listMailingLists(t.db, project.id)).map((l) => [l.name, l.kinds])).toEqual([
        ['announce', ['release']],
        ['security-announce', ['fix_forthcoming', 'release', 'update']],
      ]);
      // A second run seeds nothing more.
      expect(await t.db.transaction().execute((trx) => seedDemoProject(trx, { clock, config }))).toBe(false);
    } finally {
      await t.destroy();
    }
  });
});
