import { matchPackages } from '../../src/domain/scan/matcher.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, iso } from '../../src/clock.js';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { activateEmbargo, getEmbargo, proposeEmbargo } from '../../src/domain/cases/embargo.service.js';
import type { Case } from '../../src/domain/cases/cases.js';
import type { Project } from '../../src/domain/projects/projects.js';
import {
  alertDependents,
  alertDependentsSince,
  caseDependentAlerts,
} from '../../src/domain/scan/dependent-alerts.service.js';
import type { InventoryInput } from '../../src/domain/scan/dependents.js';
import { affectedDependents, dependentsOf } from '../../src/domain/scan/dependents-index.service.js';
import {
  confirmDependent,
  manageView,
  requestDependentSubscription,
  unsubscribeDependent,
} from '../../src/domain/scan/dependents.service.js';
import { recordsFromFile } from '../../src/domain/scan/osv-files.js';
import { registerProjectDependency } from '../../src/domain/scan/project-dependents.service.js';
import { importOsvRecords } from '../../src/domain/scan/vulndb.service.js';
import type { User } from '../../src/domain/users/users.js';
import { testWorker } from '../mail/support.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { readyCase } from '../support/disclosure.js';
import { makeProject, makeUser } from '../support/factories.js';
import { renderEmail } from '../../src/mail/templates/index.js';
import { loadConfig } from '../../src/config.js';

// Ecosystem alerts end to end over the services: outside subscribers confirm, a project registers
// in its name, an OSV import or a case's advisory at the go affects a registered version, and each
// dependent is told once, with the version that fixes it.

const purls = (...lines: string[]): InventoryInput => ({ kind: 'purls', text: lines.join('\n') });

const osv = (id: string, pkg: string, fixed: string, published: string, ecosystem = 'npm') => ({
  schema_version: '1.6.0',
  id,
  modified: published,
  published,
  summary: `${id}: prototype pollution in ${pkg}`,
  affected: [
    {
      package: { ecosystem, name: pkg },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }],
    },
  ],
  references: [{ type: 'ADVISORY', url: `https://github.com/advisories/${id}` }],
});

describe('the alert mail', () => {
  it('escapes what advisories and subscribers wrote, and keeps the subject on one line', () => {
    const rendered = renderEmail(
      {
        template: 'dependent-alert',
        dependentName: 'Acme <b>Shop</b>',
        projectName: null,
        alerts: [
          {
            advisoryId: 'GHSA-xxxx-yyyy-zzzz',
            summary: 'Bug <script>alert(1)</script>\nin parse',
            advisoryUrl: 'https://github.com/advisories/GHSA-xxxx-yyyy-zzzz',
            ecosystem: 'npm',
            packageName: 'left-pad',
            version: '',
            fixedVersion: null,
            knownFixes: ['1.3.0', '2.0.1'],
          },
        ],
        manageUrl: 'http://localhost:8080/dependents/manage/abc',
      },
      { config: loadConfig({ EMBARGO_PUBLIC_URL: 'http://localhost:8080' }) },
    );
    expect(rendered.subject).toBe('[Acme <b>Shop</b>] GHSA-xxxx-yyyy-zzzz affects a package you depend on');
    expect(rendered.html).not.toContain('<script>');
    expect(rendered.html).toContain('&lt;script>');
    expect(rendered.text).toContain('left-pad some version (npm)');
    expect(rendered.text).toContain('fixed in 1.3.0, 2.0.1');
    expect(rendered.text).toContain('unsubscribe: http://localhost:8080/dependents/manage/abc');
  });
});

describe.each(engines())('ecosystem alerts on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let lead: User;

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => ctx.deps.db.transaction().execute(fn);
  const drain = async () => {
    const worker = testWorker(ctx);
    while ((await worker.runDue()) > 0) {
      // a job may enqueue more
    }
  };
  const mails = (to: string, template: string) =>
    ctx.deps.db
      .selectFrom('outbound_emails')
      .select(['subject', 'text_body', 'html_body'])
      .where('to_address', '=', to)
      .where('template', '=', template)
      .orderBy('created_at')
      .execute();
  /** Subscribes and confirms through the services, as the mailbox's owner would; returns the manage token. */
  const subscriber = async (email: string, inventory: InventoryInput, confirm = true) => {
    await tx((trx) =>
      requestDependentSubscription(trx, ctx.deps, { name: 'Acme Shop', email, inventory, ip: '192.0.2.7' }),
    );
    const [mail] = await mails(email, 'dependent-confirm');
    const token = /\/dependents\/confirm\/([A-Za-z0-9_-]+)/.exec(mail?.text_body ?? '')?.[1] ?? '';
    expect(token).not.toBe('');
    if (!confirm) return '';
    return (await tx((trx) => confirmDependent(trx, ctx.deps, { token, origin: noOrigin }))).manageToken;
  };
  const importRecords = (...records: unknown[]) =>
    tx((trx) =>
      importOsvRecords(
        trx,
        ctx.deps,
        recordsFromFile('records.json', new TextEncoder().encode(JSON.stringify(records))),
      ),
    );

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget' });
    lead = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin', email: `lead-${engine}@widget.example` });
  });
  afterAll(() => ctx.close());

  it('tells a confirmed subscriber once of an imported advisory affecting its version, with the fix', async () => {
    const since = iso(ctx.clock.now());
    const manage = await subscriber('ada@shop.example', purls('pkg:npm/left-pad@1.2.0', 'pkg:npm/right-pad@2.0.0'));
    await subscriber('pending@shop.example', purls('pkg:npm/left-pad@1.2.0'), false);
    const gone = await subscriber('gone@shop.example', purls('pkg:npm/left-pad@1.2.0'));
    await tx((trx) =>
      unsubscribeDependent(trx, ctx.deps, { token: gone, actor: { kind: 'anonymous' }, origin: noOrigin }),
    );
    ctx.clock.advance(DAY_MS);
    await importRecords(
      osv('GHSA-aaaa-bbbb-cccc', 'left-pad', '1.3.1', iso(ctx.clock.now())),
      // right-pad 2.0.0 is past this fix: not affected.
      osv('GHSA-dddd-eeee-ffff', 'right-pad', '1.9.0', iso(ctx.clock.now())),
    );

    expect(await alertDependentsSince(ctx.deps, { since })).toEqual({ alerts: 1, dependents: 1 });
    const [alert, ...more] = await mails('ada@shop.example', 'dependent-alert');
    expect(more).toEqual([]);
    expect(alert?.subject).toContain('GHSA-aaaa-bbbb-cccc');
    expect(alert?.text_body).toContain('left-pad 1.2.0 (npm): GHSA-aaaa-bbbb-cccc');
    expect(alert?.text_body).toContain('upgrade to 1.3.1 or later');
    expect(alert?.text_body).toContain('https://github.com/advisories/GHSA-aaaa-bbbb-cccc');
    expect(alert?.text_body).toContain(`/dependents/manage/${manage}`);
    expect(alert?.text_body).not.toContain('right-pad');
    // Unconfirmed and unsubscribed addresses hear nothing.
    expect(await mails('pending@shop.example', 'dependent-alert')).toEqual([]);
    expect(await mails('gone@shop.example', 'dependent-alert')).toEqual([]);
    // Exactly once: the job again, and the same vulnerabilities by id.
    expect(await alertDependentsSince(ctx.deps, { since })).toEqual({ alerts: 0, dependents: 0 });
    expect(await tx((trx) => alertDependents(trx, ctx.deps, { vulnIds: ['GHSA-aaaa-bbbb-cccc'] }))).toEqual({
      alerts: 0,
      dependents: 0,
    });
    expect(await mails('ada@shop.example', 'dependent-alert')).toHaveLength(1);
  });

  it('tells "some version" for a package URL without one, and the reverse index names active dependents only', async () => {
    const since = iso(ctx.clock.now());
    await subscriber('grace@shop.example', purls('pkg:pypi/Django', 'pkg:pypi/requests@2.31.0'));
    await subscriber('waiting@shop.example', purls('pkg:pypi/django'), false);
    const index = await dependentsOf(ctx.deps.db, { ecosystem: 'PyPI', name: 'DJANGO' });
    expect(index).toEqual([{ dependentId: expect.any(String), inventoryId: expect.any(String), version: '' }]);
    ctx.clock.advance(DAY_MS);
    await importRecords(osv('PYSEC-2026-1', 'django', '5.0.2', iso(ctx.clock.now()), 'PyPI'));
    expect(await alertDependentsSince(ctx.deps, { since })).toEqual({ alerts: 1, dependents: 1 });
    const [alert] = await mails('grace@shop.example', 'dependent-alert');
    expect(alert?.text_body).toContain('django some version (PyPI)');
    expect(alert?.text_body).toContain('You depend on some version of it; fixed in 5.0.2');
  });

  it('forgets a request never confirmed, with its registration, once its link has expired', async () => {
    const left = () =>
      ctx.deps.db
        .selectFrom('dependents as d')
        .leftJoin('inventories as i', 'i.dependent_id', 'd.id')
        .leftJoin('inventory_packages as p', 'p.inventory_id', 'i.id')
        .select(['d.id', 'i.id as inventory', 'p.name'])
        .where('d.email', '=', 'never@shop.example')
        .execute();
    await subscriber('never@shop.example', purls('pkg:npm/never-confirmed@1.0.0'), false);
    expect(await left()).toEqual([{ id: expect.any(String), inventory: expect.any(String), name: 'never-confirmed' }]);
    // While its link works, another request leaves it alone; once expired, the next one removes it.
    ctx.clock.advance(7 * DAY_MS - 60_000);
    await subscriber('later@shop.example', purls('pkg:npm/left-pad@1.0.0'), false);
    expect(await left()).toHaveLength(1);
    ctx.clock.advance(2 * 60_000);
    await subscriber('latest@shop.example', purls('pkg:npm/left-pad@1.0.0'), false);
    expect(await left()).toEqual([]);
    expect(await dependentsOf(ctx.deps.db, { ecosystem: 'npm', name: 'never-confirmed' })).toEqual([]);
    const pending = await ctx.deps.db
      .selectFrom('dependents')
      .select('email')
      .where('status', '=', 'pending')
      .execute();
    expect(pending.map((d) => d.email)).toEqual(expect.arrayContaining(['later@shop.example', 'latest@shop.example']));
    // Nothing of it is left in the reverse index.
    const orphans = await ctx.deps.db
      .selectFrom('inventory_packages as p')
      .leftJoin('inventories as i', 'i.id', 'p.inventory_id')
      .select('p.inventory_id')
      .where('i.id', 'is', null)
      .execute();
    expect(orphans).toEqual([]);
  });

  it('does not tell of records published before the registration, but the manage page shows them', async () => {
    ctx.clock.advance(DAY_MS);
    const before = iso(ctx.clock.now());
    ctx.clock.advance(DAY_MS);
    const manage = await subscriber('late@shop.example', purls('pkg:cargo/smallvec@1.6.0'));
    ctx.clock.advance(DAY_MS);
    // A first import of old data: published before the subscriber registered.
    await importRecords(osv('RUSTSEC-2021-0003', 'smallvec', '1.6.1', before, 'crates.io'));
    expect(await affectedDependents(ctx.deps.db, { since: before })).toEqual([]);
    expect(await alertDependentsSince(ctx.deps, { since: before })).toEqual({ alerts: 0, dependents: 0 });
    expect(await mails('late@shop.example', 'dependent-alert')).toEqual([]);
    const view = await manageView(ctx.deps.db, ctx.deps, manage);
    expect(view.matches).toEqual([
      expect.objectContaining({
        vulnId: 'RUSTSEC-2021-0003',
        name: 'smallvec',
        version: '1.6.0',
        fixedVersion: '1.6.1',
      }),
    ]);
  });

  it('mails a project registration to its members, each batch in its own transaction, once under concurrent jobs', async () => {
    const other = await makeProject(ctx.deps.db, ctx.clock, { name: 'Gadget' });
    const admin = await makeUser(ctx.deps.db, ctx.clock, {
      project: other,
      role: 'admin',
      email: `a-${engine}@gadget.example`,
    });
    const member = await makeUser(ctx.deps.db, ctx.clock, {
      project: other,
      role: 'security',
      email: `m-${engine}@gadget.example`,
    });
    const by = { actor: actorOf(admin, other, 'admin'), origin: noOrigin };
    const since = iso(ctx.clock.now());
    await tx((trx) =>
      registerProjectDependency(trx, ctx.deps, { by, project: other, inventory: purls('pkg:gem/rack@2.2.3') }),
    );
    await subscriber('twin@shop.example', purls('pkg:gem/rack@2.2.3'));
    ctx.clock.advance(DAY_MS);
    await importRecords(osv('GHSA-rack-rack-rack', 'rack', '2.2.8', iso(ctx.clock.now()), 'RubyGems'));
    const runs = await Promise.all([
      alertDependentsSince(ctx.deps, { since }),
      alertDependentsSince(ctx.deps, { since }),
    ]);
    expect(runs.reduce((n, r) => n + r.alerts, 0)).toBe(2);
    for (const email of [admin.email, member.email, 'twin@shop.example']) {
      const sent = await mails(email, 'dependent-alert');
      expect(sent, email).toHaveLength(1);
      expect(sent[0]?.text_body).toContain('upgrade to 2.2.8 or later');
    }
    const [toMember] = await mails(member.email, 'dependent-alert');
    expect(toMember?.text_body).toContain(`/p/${other.slug}/settings/dependents`);
  });

  it('tells the affected dependents at the go, lists them on the case, and never twice', async () => {
    const manage = await subscriber('linus@shop.example', purls('pkg:npm/widget-go@1.2.0'));
    await subscriber('fine@shop.example', purls('pkg:npm/widget-go@1.4.2'));
    // The project's own registration of its package: not told of its own advisory.
    const by = { actor: actorOf(lead, project, 'admin'), origin: noOrigin };
    await tx((trx) =>
      registerProjectDependency(trx, ctx.deps, { by, project, inventory: purls('pkg:npm/widget-go@1.0.0') }),
    );
    const { theCase } = await readyCase(ctx, project, lead, { packageName: 'widget-go' });
    const embargo = await schedule(theCase);
    ctx.clock.set(embargo.releaseAt);
    await drain();

    // The published advisory joined the vulnerability database: a scan finds it like any record.
    const own = await ctx.deps.db
      .selectFrom('vulns')
      .select(['id', 'origin'])
      .where('case_id', '=', theCase.id)
      .executeTakeFirstOrThrow();
    expect(own.origin).toBe('project');
    const scanned = await matchPackages(ctx.deps.db, [{ ecosystem: 'npm', name: 'widget-go', version: '1.2.0' }]);
    expect(scanned).toEqual([{ index: 0, vulnId: own.id, fixedVersion: '1.4.2' }]);

    const history = await ctx.deps.db
      .selectFrom('case_history')
      .select('value')
      .where('case_id', '=', theCase.id)
      .where('change', '=', 'dependents.notified')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(history.value ?? '{}').notifiers).toEqual([
      { notifier: 'registered SBOMs and package URLs', notified: 1 },
    ]);
    const listed = await caseDependentAlerts(ctx.deps.db, theCase.id);
    expect(listed).toEqual([
      expect.objectContaining({
        dependent: 'Acme Shop (l***@shop.example)',
        kind: 'subscriber',
        packageName: 'widget-go',
        version: '1.2.0',
        fixedVersion: '1.4.2',
      }),
    ]);
    const sent = await ctx.deps.db
      .selectFrom('outbound_emails')
      .select(['to_address', 'text_body'])
      .where('template', '=', 'dependent-alert')
      .where('text_body', 'like', '%widget-go%')
      .execute();
    expect(sent.map((m) => m.to_address)).toEqual(['linus@shop.example']);
    // The job publication enqueued (vulndb.changed) finds it all told.
    expect(await alertDependentsSince(ctx.deps, { since: '2000-01-01T00:00:00.000Z' })).toEqual({
      alerts: 0,
      dependents: 0,
    });
    expect(manage).not.toBe('');
  });

  const schedule = async (c: Case) => {
    const who = { actor: actorOf(lead, project, 'admin'), origin: noOrigin, theCase: c };
    await tx((trx) => proposeEmbargo(trx, ctx.deps, who));
    await tx((trx) => activateEmbargo(trx, ctx.deps, who));
    const embargo = await getEmbargo(ctx.deps.db, c.id);
    if (!embargo) throw new Error('no embargo');
    return embargo;
  };
});
