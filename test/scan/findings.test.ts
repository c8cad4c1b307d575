import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { addBranch } from '../../src/domain/projects/branches.service.js';
import type { Project, ReleaseBranch } from '../../src/domain/projects/projects.js';
import { FINDING_CLOCK_DAYS } from '../../src/domain/scan/finding-clocks.js';
import {
  listFindings,
  reevaluateAllBranches,
  reevaluateBranch,
  triageFinding,
} from '../../src/domain/scan/findings.service.js';
import { listInventories, registerInventory, removeInventory } from '../../src/domain/scan/inventories.service.js';
import { recordsFromFile } from '../../src/domain/scan/osv-files.js';
import { importOsvRecords } from '../../src/domain/scan/vulndb.service.js';
import { DomainError } from '../../src/errors.js';
import type { User } from '../../src/domain/users/users.js';
import { actorOfUser } from '../../src/domain/users/user-actor.js';
import { ManualClock } from '../support/clock.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { makeProject, makeUser } from '../support/factories.js';

// Findings of a release branch: registered lockfiles matched against a small OSV database, then
// followed as the database and the lockfiles change, triaged, told to the team once, and timed.
// The uploads name their format ('package-lock.json'): the parsers' registry must hold it.

const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const HIGH = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N';

interface Rec {
  id: string;
  modified: string;
  name: string;
  fixed: string;
  vector?: string;
  withdrawn?: string;
}
const osv = (r: Rec) => ({
  schema_version: '1.6.0',
  id: r.id,
  modified: r.modified,
  summary: `${r.id} in ${r.name}`,
  aliases: [`CVE-2026-${r.id.slice(-4)}`],
  ...(r.vector ? { severity: [{ type: 'CVSS_V3', score: r.vector }] } : {}),
  ...(r.withdrawn ? { withdrawn: r.withdrawn } : {}),
  affected: [
    {
      package: { ecosystem: 'npm', name: r.name },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: r.fixed }] }],
    },
  ],
  references: [{ type: 'ADVISORY', url: `https://example.org/advisories/${r.id}` }],
});

/** A package-lock.json (v3) installing these name -> version pairs. */
const lockfile = (packages: Record<string, string>) =>
  JSON.stringify({
    name: 'app',
    lockfileVersion: 3,
    packages: {
      '': { name: 'app', version: '1.0.0' },
      ...Object.fromEntries(Object.entries(packages).map(([n, v]) => [`node_modules/${n}`, { version: v }])),
    },
  });

for (const engine of engines()) {
  describe(`findings of release branches (${engine})`, () => {
    let t: TestDatabase;
    const clock = new ManualClock('2026-04-01T10:00:00.000Z');
    const config = loadConfig({ EMBARGO_PUBLIC_URL: 'https://security.example.org' });
    const deps = () => ({ db: t.db, clock, config });
    const tx = <T>(fn: (trx: Trx) => Promise<T>) => t.db.transaction().execute(fn);
    const importRecords = (...records: Rec[]) =>
      tx((trx) =>
        importOsvRecords(trx, { clock }, recordsFromFile('r.json', Buffer.from(JSON.stringify(records.map(osv))))),
      );

    beforeAll(async () => {
      t = await createTestDatabase(engine);
    });
    afterAll(async () => t.destroy());

    /** A project with two members (one disabled), a branch, and the actor of the first member. */
    async function world() {
      const project = await makeProject(t.db, clock);
      const alice = await makeUser(t.db, clock, { project, role: 'admin', name: 'Alice' });
      const bob = await makeUser(t.db, clock, { project, role: 'security', name: 'Bob' });
      const gone = await makeUser(t.db, clock, { project, role: 'security', name: 'Gone' });
      await t.db.updateTable('users').set({ disabled: 1 }).where('id', '=', gone.id).execute();
      const branch = await tx((trx) =>
        addBranch(trx, clock, {
          by: { actor: actorOfUser(alice), origin: noOrigin },
          projectId: project.id,
          name: 'main',
          endOfSupport: null,
        }),
      );
      return { project, branch, alice, bob, actor: actorOfUser(alice) };
    }
    const register = (
      w: { project: Project; branch: ReleaseBranch; alice: User },
      packages: Record<string, string>,
      name = 'package-lock.json',
    ) =>
      tx((trx) =>
        registerInventory(trx, deps(), {
          actor: actorOfUser(w.alice),
          origin: noOrigin,
          projectId: w.project.id,
          branchId: w.branch.id,
          name,
          format: 'package-lock.json',
          text: lockfile(packages),
        }),
      );
    const findingsOf = (project: Project, extra: { present?: boolean; overdue?: boolean } = {}) =>
      listFindings(t.db, { projectId: project.id, now: clock.now(), ...extra });
    const mails = (project: Project) =>
      t.db
        .selectFrom('outbound_emails')
        .select(['to_address', 'subject', 'text_body'])
        .where('project_id', '=', project.id)
        .where('template', '=', 'findings-new')
        .orderBy('created_at')
        .orderBy('to_address')
        .execute();
    const rowsOf = (project: Project) =>
      t.db.selectFrom('findings').selectAll().where('project_id', '=', project.id).orderBy('id').execute();

    it('registers a lockfile and finds its vulnerable versions with severity, fix and due date', async () => {
      await importRecords(
        { id: 'TEST-1001', modified: '2026-01-01T00:00:00Z', name: 'left-pad', fixed: '1.3.0', vector: CRITICAL },
        { id: 'TEST-1002', modified: '2026-01-01T00:00:00Z', name: 'minimist', fixed: '1.2.6' },
      );
      const w = await world();
      // As a Windows editor saves it, with a byte order mark.
      const result = await tx((trx) =>
        registerInventory(trx, deps(), {
          actor: w.actor,
          origin: noOrigin,
          projectId: w.project.id,
          branchId: w.branch.id,
          name: 'package-lock.json',
          text: `\uFEFF${lockfile({ 'left-pad': '1.1.0', minimist: '1.2.0', lodash: '4.17.21' })}`,
        }),
      );
      expect(result.replaced).toBe(false);
      expect(result.evaluation).toEqual({ new: 2, gone: 0, present: 2 });
      expect(result.inventory).toMatchObject({
        name: 'package-lock.json',
        format: 'package-lock.json',
        packageCount: 3,
        uploadedBy: 'Alice',
      });
      const findings = await findingsOf(w.project);
      expect(findings.map((f) => [f.vulnId, f.name, f.version, f.severity, f.fixedVersion, f.state])).toEqual([
        ['TEST-1001', 'left-pad', '1.1.0', 'critical', '1.3.0', 'in_triage'],
        ['TEST-1002', 'minimist', '1.2.0', 'unknown', '1.2.6', 'in_triage'],
      ]);
      const [critical, unknown] = findings;
      expect(critical?.dueAt).toBe(new Date(clock.now().getTime() + 7 * DAY_MS).toISOString());
      expect(unknown?.dueAt).toBe(new Date(clock.now().getTime() + FINDING_CLOCK_DAYS.unknown * DAY_MS).toISOString());
      expect(critical).toMatchObject({
        branchName: 'main',
        present: true,
        overdue: false,
        aliases: ['CVE-2026-1001'],
        advisoryUrl: 'https://example.org/advisories/TEST-1001',
      });
      const audit = await t.db
        .selectFrom('audit_log')
        .select('action')
        .where('project_id', '=', w.project.id)
        .execute();
      expect(audit.map((a) => a.action)).toEqual(
        expect.arrayContaining(['inventory.registered', 'findings.evaluated']),
      );
    });

    it('tells the active members of new findings once, across re-evaluations and a second worker', async () => {
      await importRecords({
        id: 'TEST-2001',
        modified: '2026-01-01T00:00:00Z',
        name: 'ms',
        fixed: '2.0.0',
        vector: HIGH,
      });
      const w = await world();
      await register(w, { ms: '1.0.0' });
      const first = await mails(w.project);
      expect(first.map((m) => m.to_address).sort()).toEqual([w.alice.email, w.bob.email].sort());
      expect(first[0]?.subject).toContain('1 new vulnerable dependency on main');
      expect(first[0]?.text_body).toContain(
        'ms@1.0.0 (npm): TEST-2001, high, fixed in 2.0.0, due 2026-05-01 10:00 UTC',
      );
      const before = await rowsOf(w.project);
      expect(before.every((r) => r.notified_at !== null)).toBe(true);
      // The job, twice at once (two workers) and once more: nothing changes, nothing is sent.
      await Promise.all([reevaluateAllBranches(deps()), reevaluateAllBranches(deps())]);
      expect(await reevaluateAllBranches(deps())).toMatchObject({ new: 0, gone: 0 });
      expect(await mails(w.project)).toHaveLength(2);
      expect(await rowsOf(w.project)).toEqual(before);
      // A newly affecting record is told on its own.
      clock.advance(DAY_MS);
      const report = await importRecords({
        id: 'TEST-2002',
        modified: '2026-01-02T00:00:00Z',
        name: 'ms',
        fixed: '1.5.0',
      });
      const totals = await reevaluateAllBranches(deps(), { since: report.importedAt });
      expect(totals.new).toBe(1);
      const after = await mails(w.project);
      expect(after).toHaveLength(4);
      expect(after.slice(2).every((m) => m.text_body.includes('TEST-2002') && !m.text_body.includes('TEST-2001'))).toBe(
        true,
      );
      // A branch past its end of support is no longer watched: a new record tells nobody.
      const yesterday = new Date(clock.now().getTime() - DAY_MS).toISOString().slice(0, 10);
      await t.db
        .updateTable('release_branches')
        .set({ end_of_support: yesterday })
        .where('project_id', '=', w.project.id)
        .execute();
      const late = await importRecords({
        id: 'TEST-2003',
        modified: '2026-01-03T00:00:00Z',
        name: 'ms',
        fixed: '1.9.0',
      });
      expect(await reevaluateAllBranches(deps(), { since: late.importedAt })).toMatchObject({ branches: 0, new: 0 });
      expect(await mails(w.project)).toHaveLength(4);
    });

    it('follows a newer record, a withdrawn one, and versions leaving and coming back', async () => {
      await importRecords({ id: 'TEST-3001', modified: '2026-01-01T00:00:00Z', name: 'qs', fixed: '6.0.0' });
      const w = await world();
      await register(w, { qs: '5.0.0', debug: '2.0.0' });
      const firstSeen = clock.now();
      clock.advance(DAY_MS);
      // A newer record: a later fix and a CVSS vector. The deadline runs from first sight.
      let report = await importRecords({
        id: 'TEST-3001',
        modified: '2026-02-01T00:00:00Z',
        name: 'qs',
        fixed: '6.1.0',
        vector: CRITICAL,
      });
      await reevaluateAllBranches(deps(), { since: report.importedAt });
      let [f] = await findingsOf(w.project);
      expect(f).toMatchObject({ fixedVersion: '6.1.0', severity: 'critical', present: true });
      expect(f?.dueAt).toBe(new Date(firstSeen.getTime() + 7 * DAY_MS).toISOString());

      // The version leaves the branch: gone, and resolved since it was still open.
      clock.advance(DAY_MS);
      const left = await register(w, { qs: '6.1.0', debug: '2.0.0' });
      expect(left).toMatchObject({ replaced: true, evaluation: { new: 0, gone: 1, present: 0 } });
      [f] = await findingsOf(w.project, { present: false });
      expect(f).toMatchObject({
        present: false,
        state: 'in_triage',
        goneAt: clock.now().toISOString(),
        resolvedAt: clock.now().toISOString(),
      });
      expect(await listInventories(t.db, { projectId: w.project.id })).toHaveLength(1);

      // It comes back: present, unresolved, the same finding (no new email).
      const mailsBefore = (await mails(w.project)).length;
      clock.advance(DAY_MS);
      const back = await register(w, { qs: '5.0.0' });
      expect(back.evaluation).toEqual({ new: 0, gone: 0, present: 1 });
      [f] = await findingsOf(w.project);
      expect(f).toMatchObject({ present: true, goneAt: null, resolvedAt: null, firstSeenAt: firstSeen.toISOString() });
      expect(await mails(w.project)).toHaveLength(mailsBefore);

      // The record is withdrawn: gone, but not resolved (the version is still shipped).
      clock.advance(DAY_MS);
      report = await importRecords({
        id: 'TEST-3001',
        modified: '2026-03-01T00:00:00Z',
        name: 'qs',
        fixed: '6.1.0',
        withdrawn: '2026-03-01T00:00:00Z',
      });
      await reevaluateAllBranches(deps(), { since: report.importedAt });
      [f] = await findingsOf(w.project, { present: false });
      expect(f).toMatchObject({ present: false, goneAt: clock.now().toISOString(), resolvedAt: null });
      expect(await findingsOf(w.project, { present: true })).toEqual([]);
    });

    it('drops what a removed lockfile held, and keeps what another lockfile of the branch still ships', async () => {
      await importRecords({ id: 'TEST-4001', modified: '2026-01-01T00:00:00Z', name: 'ws', fixed: '8.0.0' });
      const w = await world();
      await register(w, { ws: '7.0.0' }, 'web/package-lock.json');
      await register(w, { ws: '7.0.0' }, 'api/package-lock.json');
      expect(await findingsOf(w.project)).toHaveLength(1);
      const removed = await tx((trx) =>
        removeInventory(trx, deps(), {
          actor: w.actor,
          origin: noOrigin,
          projectId: w.project.id,
          branchId: w.branch.id,
          name: 'web/package-lock.json',
        }),
      );
      expect(removed.evaluation).toEqual({ new: 0, gone: 0, present: 1 });
      const second = await tx((trx) =>
        removeInventory(trx, deps(), {
          actor: w.actor,
          origin: noOrigin,
          projectId: w.project.id,
          branchId: w.branch.id,
          name: 'api/package-lock.json',
        }),
      );
      expect(second.evaluation).toEqual({ new: 0, gone: 1, present: 0 });
    });

    it('refuses an unknown format and a file that does not parse, storing nothing', async () => {
      const w = await world();
      const attempt = (name: string, text: string, format?: string) =>
        tx((trx) =>
          registerInventory(trx, deps(), {
            actor: w.actor,
            origin: noOrigin,
            projectId: w.project.id,
            branchId: w.branch.id,
            name,
            text,
            ...(format ? { format } : {}),
          }),
        );
      const unknown = await attempt('deps.txt', 'x', 'no-such-format').catch((e: unknown) => e);
      expect(unknown).toBeInstanceOf(DomainError);
      expect(unknown).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'format' } });
      expect((unknown as Error).message).toMatch(/no-such-format.*Supported formats: .*package-lock\.json/);
      const unnamed = await attempt('what-is-this.bin', 'x').catch((e: unknown) => e);
      expect(unnamed).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'format' } });
      const broken = await attempt('package-lock.json', '{ "lockfileVersion": 3,').catch((e: unknown) => e);
      expect(broken).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'content' } });
      expect((broken as Error).message).toMatch(/^package-lock\.json: not valid JSON/);
      expect(await listInventories(t.db, { projectId: w.project.id })).toEqual([]);
      const packages = await t.db
        .selectFrom('inventories')
        .select('id')
        .where('project_id', '=', w.project.id)
        .execute();
      expect(packages).toEqual([]);
    });

    it('triages with VEX states: not_affected needs a justification, the owner is a member, every change audited', async () => {
      await importRecords({
        id: 'TEST-5001',
        modified: '2026-01-01T00:00:00Z',
        name: 'tar',
        fixed: '7.0.0',
        vector: HIGH,
      });
      const w = await world();
      await register(w, { tar: '6.0.0' });
      const [found] = await findingsOf(w.project);
      if (!found) throw new Error('no finding');
      const outsider = await makeUser(t.db, clock);
      const triage = (
        input: Omit<Parameters<typeof triageFinding>[2], 'projectId' | 'findingId' | 'actor' | 'origin'>,
      ) =>
        tx((trx) =>
          triageFinding(trx, deps(), {
            actor: w.actor,
            origin: noOrigin,
            projectId: w.project.id,
            findingId: found.id,
            ...input,
          }),
        );
      const refused = (p: Promise<unknown>) =>
        p.then(
          () => 'accepted',
          (e: unknown) => (e as DomainError).details?.field,
        );

      expect(await refused(triage({ state: 'not_affected' }))).toBe('justification');
      expect(await refused(triage({ state: 'not_affected', justification: 'we_feel_fine' }))).toBe('justification');
      expect(await refused(triage({ state: 'affected', justification: 'component_not_present' }))).toBe(
        'justification',
      );
      expect(await refused(triage({ state: 'wontfix' }))).toBe('state');
      expect(await refused(triage({ owner: outsider.id }))).toBe('owner');

      let f = await triage({ state: 'affected', owner: w.bob.id, note: 'Upgrade in 2.3.' });
      expect(f).toMatchObject({
        state: 'affected',
        owner: { userId: w.bob.id, name: 'Bob' },
        note: 'Upgrade in 2.3.',
        resolvedAt: null,
      });
      clock.advance(DAY_MS);
      f = await triage({ state: 'not_affected', justification: 'vulnerable_code_not_in_execute_path' });
      expect(f).toMatchObject({
        state: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        resolvedAt: clock.now().toISOString(),
      });
      expect(f.owner?.userId).toBe(w.bob.id);
      f = await triage({ state: 'fixed' });
      expect(f).toMatchObject({ state: 'fixed', justification: null, resolvedAt: clock.now().toISOString() });
      f = await triage({ state: 'affected', owner: null });
      expect(f).toMatchObject({ state: 'affected', owner: null, resolvedAt: null });
      // Nothing changed: nothing audited.
      await triage({ state: 'affected' });

      const audit = await t.db
        .selectFrom('audit_log')
        .select(['action', 'detail'])
        .where('project_id', '=', w.project.id)
        .where('action', '=', 'finding.triaged')
        .orderBy('at')
        .execute();
      expect(audit).toHaveLength(4);
      expect(JSON.parse(audit[0]?.detail ?? '{}')).toMatchObject({
        vulnId: 'TEST-5001',
        changed: ['state', 'owner', 'note'],
        state: { from: 'in_triage', to: 'affected' },
      });
      expect(audit.map((a) => a.detail).join(' ')).not.toContain('Upgrade in 2.3.');
      // Another project's finding is not found from this project.
      const other = await makeProject(t.db, clock);
      const foreign = await tx((trx) =>
        triageFinding(trx, deps(), {
          actor: w.actor,
          origin: noOrigin,
          projectId: other.id,
          findingId: found.id,
          state: 'fixed',
        }),
      ).catch((e: unknown) => e);
      expect(foreign).toMatchObject({ code: 'NOT_FOUND' });
    });

    it('runs the clocks by severity: overdue once due, unless resolved or gone', async () => {
      await importRecords(
        { id: 'TEST-6001', modified: '2026-01-01T00:00:00Z', name: 'glob', fixed: '9.0.0', vector: CRITICAL },
        { id: 'TEST-6002', modified: '2026-01-01T00:00:00Z', name: 'semver', fixed: '7.5.2', vector: HIGH },
      );
      const w = await world();
      await register(w, { glob: '8.0.0', semver: '7.0.0' });
      const overdue = async () => (await findingsOf(w.project, { overdue: true })).map((f) => f.vulnId);
      expect(await overdue()).toEqual([]);
      clock.advance(7 * DAY_MS + 1);
      expect(await overdue()).toEqual(['TEST-6001']);
      const [critical] = await findingsOf(w.project);
      expect(critical).toMatchObject({ vulnId: 'TEST-6001', overdue: true });
      clock.advance(23 * DAY_MS);
      expect(await overdue()).toEqual(['TEST-6001', 'TEST-6002']);
      await tx((trx) =>
        triageFinding(trx, deps(), {
          actor: w.actor,
          origin: noOrigin,
          projectId: w.project.id,
          findingId: critical?.id ?? '',
          state: 'fixed',
        }),
      );
      expect(await overdue()).toEqual(['TEST-6002']);
      await register(w, { glob: '8.0.0' });
      expect(await overdue()).toEqual([]);
    });

    it('links a finding to its advisory only by a web address', async () => {
      const hostile = { ...osv({ id: 'TEST-7001', modified: '2026-01-01T00:00:00Z', name: 'ejs', fixed: '3.1.7' }) };
      hostile.references = [{ type: 'ADVISORY', url: 'javascript:alert(document.cookie)' }];
      await tx((trx) =>
        importOsvRecords(trx, { clock }, recordsFromFile('h.json', Buffer.from(JSON.stringify(hostile)))),
      );
      const w = await world();
      await register(w, { ejs: '3.1.6' });
      const [f] = await findingsOf(w.project);
      expect(f).toMatchObject({ vulnId: 'TEST-7001', advisoryUrl: null });
    });

    it('evaluates nothing for a branch without inventories, and a branch removed meanwhile is skipped', async () => {
      const w = await world();
      const result = await tx((trx) => reevaluateBranch(trx, deps(), { branchId: w.branch.id }));
      expect(result).toEqual({ new: 0, gone: 0, present: 0 });
      expect(await tx((trx) => reevaluateBranch(trx, deps(), { branchId: 'no-such-branch' }))).toEqual({
        new: 0,
        gone: 0,
        present: 0,
      });
    });
  });
}
