import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import {
  addPackage,
  addRange,
  affectedSupportedBranchIds,
  caseAffected,
  removePackage,
  removeRange,
  setBranchStatus,
} from '../../src/domain/cases/affected.service.js';
import type { Case } from '../../src/domain/cases/cases.js';
import { addBranch } from '../../src/domain/projects/branches.service.js';
import type { Project, ReleaseBranch } from '../../src/domain/projects/projects.js';
import { DomainError } from '../../src/errors.js';
import type { Actor } from '../../src/policies/actor.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf, makeCase } from '../support/case-factory.js';
import { engines } from '../support/databases.js';
import { makeProject, makeUser } from '../support/factories.js';

async function failure(run: () => Promise<unknown>): Promise<DomainError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe.each(engines())('affected versions of a case on %s', (engine) => {
  let ctx: TestContext;
  let project: Project;
  let otherProject: Project;
  let actor: Actor;
  let by: { actor: Actor; origin: typeof noOrigin };
  let theCase: Case;
  let otherCase: Case;
  let main: ReleaseBranch;
  let old: ReleaseBranch;
  let foreign: ReleaseBranch;

  const tx = <T>(fn: (trx: Trx) => Promise<T>): Promise<T> => ctx.deps.db.transaction().execute(fn);
  const branch = (p: Project, name: string, endOfSupport: string | null) =>
    tx((trx) => addBranch(trx, ctx.clock, { by, projectId: p.id, name, endOfSupport }));
  const history = (c: Case, change: string) =>
    ctx.deps.db
      .selectFrom('case_history')
      .select(['previous', 'value', 'actor_label', 'at'])
      .where('case_id', '=', c.id)
      .where('change', '=', change)
      .orderBy('at')
      .orderBy('id')
      .execute();
  const audits = (c: Case, action: string) =>
    ctx.deps.db
      .selectFrom('audit_log')
      .select(['detail', 'actor_label'])
      .where('subject_id', '=', c.id)
      .where('action', '=', action)
      .execute();
  const historyCount = async (c: Case) =>
    (await ctx.deps.db.selectFrom('case_history').select('id').where('case_id', '=', c.id).execute()).length;
  const affected = (c: Case = theCase) => caseAffected(ctx.deps.db, c, ctx.clock.now());

  beforeAll(async () => {
    ctx = await createTestContext(engine);
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Affected Project' });
    otherProject = await makeProject(ctx.deps.db, ctx.clock, { name: 'Other Project' });
    const member = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'security' });
    actor = actorOf(member, project);
    by = { actor, origin: noOrigin };
    theCase = await makeCase(ctx, project, actor);
    otherCase = await makeCase(ctx, project, actor, 'Another bug');
    // The clock starts at 2026-03-02: "1.x" is supported until the end of 2026-03-10.
    main = await branch(project, 'main', null);
    old = await branch(project, '1.x', '2026-03-10');
    await branch(project, '0.9', '2025-12-31');
    foreign = await branch(otherProject, 'main', null);
  });
  afterAll(() => ctx.close());

  it('lists every branch of the project, supported first, unknown until someone says', async () => {
    const { branches, packages } = await affected();
    expect(branches.map((b) => [b.name, b.supported, b.status, b.fixedVersion])).toEqual([
      ['1.x', true, 'unknown', null],
      ['main', true, 'unknown', null],
      ['0.9', false, 'unknown', null],
    ]);
    expect(packages).toEqual([]);
  });

  it("refuses another project's branch, and stores nothing", async () => {
    const before = await historyCount(theCase);
    const err = await failure(() =>
      tx((trx) => setBranchStatus(trx, ctx.deps, { ...by, theCase, branchId: foreign.id, status: 'affected' })),
    );
    expect(err.code).toBe('NOT_FOUND');
    expect(
      await ctx.deps.db.selectFrom('case_branches').selectAll().where('branch_id', '=', foreign.id).execute(),
    ).toEqual([]);
    expect(await historyCount(theCase)).toBe(before);
  });

  it('needs a fixed version for "fixed" and refuses one for the other statuses', async () => {
    const set = (status: string, fixedVersion?: string) =>
      failure(() =>
        tx((trx) => setBranchStatus(trx, ctx.deps, { ...by, theCase, branchId: main.id, status, fixedVersion })),
      );
    expect((await set('fixed')).details).toEqual({ field: 'fixedVersion' });
    expect((await set('fixed', '   ')).details).toEqual({ field: 'fixedVersion' });
    expect((await set('affected', '2.0.1')).details).toEqual({ field: 'fixedVersion' });
    expect((await set('fixed', '2.0 .1')).details).toEqual({ field: 'fixedVersion' });
    expect((await set('broken')).details).toEqual({ field: 'status' });
    expect((await affected()).branches.find((b) => b.name === 'main')?.status).toBe('unknown');
  });

  it('records a status change in the history and the audit log, and counts as the case moving', async () => {
    ctx.clock.advance(60_000);
    const changed = await tx((trx) =>
      setBranchStatus(trx, ctx.deps, { ...by, theCase, branchId: main.id, status: 'affected' }),
    );
    expect(changed).toBe(true);
    const [entry] = await history(theCase, 'branch.status');
    expect(entry?.actor_label).toBe(actor.kind === 'user' ? actor.email : '');
    expect(JSON.parse(entry?.previous ?? 'null')).toEqual({ branch: 'main', status: 'unknown', fixedVersion: null });
    expect(JSON.parse(entry?.value ?? 'null')).toEqual({ branch: 'main', status: 'affected', fixedVersion: null });
    const [audit] = await audits(theCase, 'case.affected.branch');
    expect(JSON.parse(audit?.detail ?? '{}')).toMatchObject({
      number: theCase.number,
      branchId: main.id,
      from: 'unknown',
      to: 'affected',
    });
    const row = await ctx.deps.db
      .selectFrom('cases')
      .select('updated_at')
      .where('id', '=', theCase.id)
      .executeTakeFirstOrThrow();
    expect(row.updated_at).toBe(ctx.clock.now().toISOString());

    // The same status again changes nothing and writes nothing.
    const before = await historyCount(theCase);
    expect(
      await tx((trx) => setBranchStatus(trx, ctx.deps, { ...by, theCase, branchId: main.id, status: 'affected' })),
    ).toBe(false);
    expect(await historyCount(theCase)).toBe(before);

    await tx((trx) =>
      setBranchStatus(trx, ctx.deps, { ...by, theCase, branchId: old.id, status: 'fixed', fixedVersion: ' 1.4.2 ' }),
    );
    const oneX = (await affected()).branches.find((b) => b.name === '1.x');
    expect(oneX).toMatchObject({ status: 'fixed', fixedVersion: '1.4.2', supported: true });
    // Other cases keep their own statuses.
    expect((await affected(otherCase)).branches.every((b) => b.status === 'unknown')).toBe(true);
  });

  it('marks a branch unsupported from the day after its end of support', async () => {
    await tx((trx) =>
      setBranchStatus(trx, ctx.deps, {
        ...by,
        theCase: otherCase,
        branchId: old.id,
        status: 'affected',
      }),
    );
    await tx((trx) =>
      setBranchStatus(trx, ctx.deps, { ...by, theCase: otherCase, branchId: main.id, status: 'affected' }),
    );
    const ids = () => affectedSupportedBranchIds(ctx.deps.db, otherCase.id, project.id, ctx.clock.now());
    ctx.clock.set('2026-03-10T23:59:59.000Z');
    expect((await ids()).sort()).toEqual([main.id, old.id].sort());
    expect((await affected(otherCase)).branches.find((b) => b.name === '1.x')?.supported).toBe(true);

    ctx.clock.set('2026-03-11T00:00:00.000Z');
    expect(await ids()).toEqual([main.id]);
    const { branches } = await affected(otherCase);
    expect(branches.map((b) => [b.name, b.supported])).toEqual([
      ['main', true],
      ['0.9', false],
      ['1.x', false],
    ]);
    // Unsupported, it is still listed with its status.
    expect(branches.find((b) => b.name === '1.x')?.status).toBe('affected');
    // Another project's id, or a case with nothing affected, gives nothing.
    expect(await affectedSupportedBranchIds(ctx.deps.db, otherCase.id, otherProject.id, ctx.clock.now())).toEqual([]);
    ctx.clock.set('2026-03-02T12:00:00.000Z');
  });

  it('refuses a purl that does not fit the ecosystem or the name, and stores nothing', async () => {
    const add = (ecosystem: string, name: string, purl?: string) =>
      failure(() => tx((trx) => addPackage(trx, ctx.deps, { ...by, theCase, ecosystem, name, purl })));
    expect((await add('PyPI', 'django', 'pkg:npm/django')).details).toEqual({ field: 'purl' });
    expect((await add('Go', 'golang.org/x/net', 'pkg:golang/golang.org/x/text')).details).toEqual({ field: 'purl' });
    expect((await add('npm', 'lodash', 'pkg:npm/lodash@4.17.21')).details).toEqual({ field: 'purl' });
    expect((await add('npm', 'lodash', 'pkg:3npm/lodash')).details).toEqual({ field: 'purl' });
    expect((await add('pypi', 'django')).message).toContain('"PyPI"');
    expect((await add('Alpine', 'openssl')).details).toEqual({ field: 'ecosystem' });
    expect((await add('Maven', 'log4j-core')).details).toEqual({ field: 'name' });
    expect((await affected()).packages).toEqual([]);
    expect(await history(theCase, 'package.added')).toEqual([]);
  });

  it('adds packages in OSV spelling with canonical purls, once each', async () => {
    const added = await tx((trx) =>
      addPackage(trx, ctx.deps, {
        ...by,
        theCase,
        ecosystem: 'PyPI',
        name: 'Django_Rest.Framework',
        purl: 'pkg:PYPI/django_rest_framework',
      }),
    );
    expect(added).toMatchObject({
      ecosystem: 'PyPI',
      name: 'django-rest-framework',
      purl: 'pkg:pypi/django-rest-framework',
      ranges: [],
    });
    await tx((trx) =>
      addPackage(trx, ctx.deps, {
        ...by,
        theCase,
        ecosystem: 'npm',
        name: '@acme/parser',
        purl: 'pkg:npm/@acme/parser',
      }),
    );
    await tx((trx) => addPackage(trx, ctx.deps, { ...by, theCase, ecosystem: 'Debian:12', name: 'parser' }));
    const dup = await failure(() =>
      tx((trx) => addPackage(trx, ctx.deps, { ...by, theCase, ecosystem: 'PyPI', name: 'django-rest-framework' })),
    );
    expect(dup.code).toBe('CONFLICT');
    const { packages } = await affected();
    expect(packages.map((p) => [p.ecosystem, p.name, p.purl])).toEqual([
      ['Debian:12', 'parser', null],
      ['npm', '@acme/parser', 'pkg:npm/%40acme/parser'],
      ['PyPI', 'django-rest-framework', 'pkg:pypi/django-rest-framework'],
    ]);
    const entries = await history(theCase, 'package.added');
    expect(entries.map((e) => JSON.parse(e.value ?? 'null'))).toContainEqual({
      ecosystem: 'npm',
      name: '@acme/parser',
      purl: 'pkg:npm/%40acme/parser',
    });
    const [audit] = await audits(theCase, 'case.affected.package.added');
    // The audit log keeps ids and the ecosystem, not which package is vulnerable (embargoed).
    expect(audit?.detail).not.toContain('parser');
    expect(audit?.detail).not.toContain('django');
  });

  it('checks ranges: introduced, then fixed or last affected, never both', async () => {
    const npm = (await affected()).packages.find((p) => p.ecosystem === 'npm');
    if (!npm) throw new Error('no npm package');
    // A second between ranges, so that their order (by creation time) is the order they were added in.
    const range = (r: { introduced: string; fixed?: string; lastAffected?: string; branchId?: string }) => {
      ctx.clock.advance(1000);
      return tx((trx) => addRange(trx, ctx.deps, { ...by, theCase, packageId: npm.id, ...r }));
    };
    const refused = async (r: Parameters<typeof range>[0]) => (await failure(() => range(r))).details;
    expect(await refused({ introduced: '' })).toEqual({ field: 'introduced' });
    expect(await refused({ introduced: '1.0.0', fixed: '1.2.0', lastAffected: '1.1.9' })).toEqual({
      field: 'lastAffected',
    });
    expect(await refused({ introduced: '1.0.0', fixed: '0' })).toEqual({ field: 'fixed' });
    expect(await refused({ introduced: '1.0.0', lastAffected: '0' })).toEqual({ field: 'lastAffected' });
    expect(await refused({ introduced: '1.0.0', fixed: '1.0.0' })).toEqual({ field: 'fixed' });
    expect(await refused({ introduced: '1.0 beta' })).toEqual({ field: 'introduced' });
    const foreignBranch = await failure(() => range({ introduced: '0', fixed: '1.0.1', branchId: foreign.id }));
    expect(foreignBranch.code).toBe('NOT_FOUND');
    const otherCasePackage = await failure(() =>
      tx((trx) => addRange(trx, ctx.deps, { ...by, theCase: otherCase, packageId: npm.id, introduced: '0' })),
    );
    expect(otherCasePackage.code).toBe('NOT_FOUND');

    await range({ introduced: '0', fixed: '1.4.2', branchId: old.id });
    await range({ introduced: '2.0.0', lastAffected: '2.3.0' });
    // Still unfixed under embargo: an open range.
    await range({ introduced: '3.0.0', branchId: main.id });
    await range({ introduced: '1.5.0', fixed: '1.4.2' });
    expect((await failure(() => range({ introduced: '2.0.0', lastAffected: '2.3.0' }))).code).toBe('CONFLICT');

    const stored = (await affected()).packages.find((p) => p.id === npm.id);
    expect(stored?.ranges.map((r) => [r.introduced, r.fixed, r.lastAffected, r.branchName])).toEqual([
      ['0', '1.4.2', null, '1.x'],
      ['2.0.0', null, '2.3.0', null],
      ['3.0.0', null, null, 'main'],
      ['1.5.0', '1.4.2', null, null],
    ]);
    expect(stored?.fixedVersions).toEqual(['1.4.2']);
    const entries = await history(theCase, 'range.added');
    expect(entries.map((e) => JSON.parse(e.value ?? 'null'))).toContainEqual({
      package: 'npm @acme/parser',
      introduced: '0',
      fixed: '1.4.2',
      lastAffected: null,
      branch: '1.x',
    });
    expect(await audits(theCase, 'case.affected.range.added')).toHaveLength(4);
  });

  it('removes ranges and packages of this case only, with history and audit', async () => {
    const before = await affected();
    const npm = before.packages.find((p) => p.ecosystem === 'npm');
    const first = npm?.ranges[0];
    if (!npm || !first) throw new Error('no range');
    const notHere = await failure(() =>
      tx((trx) => removeRange(trx, ctx.deps, { ...by, theCase: otherCase, rangeId: first.id })),
    );
    expect(notHere.code).toBe('NOT_FOUND');
    const notHerePackage = await failure(() =>
      tx((trx) => removePackage(trx, ctx.deps, { ...by, theCase: otherCase, packageId: npm.id })),
    );
    expect(notHerePackage.code).toBe('NOT_FOUND');

    await tx((trx) => removeRange(trx, ctx.deps, { ...by, theCase, rangeId: first.id }));
    const [removed] = await history(theCase, 'range.removed');
    expect(JSON.parse(removed?.previous ?? 'null')).toEqual({
      package: 'npm @acme/parser',
      introduced: '0',
      fixed: '1.4.2',
      lastAffected: null,
      branch: '1.x',
    });
    expect(removed?.value).toBeNull();
    expect((await affected()).packages.find((p) => p.id === npm.id)?.ranges).toHaveLength(3);

    await tx((trx) => removePackage(trx, ctx.deps, { ...by, theCase, packageId: npm.id }));
    const [gone] = await history(theCase, 'package.removed');
    expect(JSON.parse(gone?.previous ?? 'null')).toEqual({
      ecosystem: 'npm',
      name: '@acme/parser',
      purl: 'pkg:npm/%40acme/parser',
      ranges: 3,
    });
    expect(
      await ctx.deps.db.selectFrom('package_ranges').select('id').where('package_id', '=', npm.id).execute(),
    ).toEqual([]);
    expect((await affected()).packages.map((p) => p.ecosystem)).toEqual(['Debian:12', 'PyPI']);
    expect(await audits(theCase, 'case.affected.range.removed')).toHaveLength(1);
    expect(await audits(theCase, 'case.affected.package.removed')).toHaveLength(1);
  });
});
