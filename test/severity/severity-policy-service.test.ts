import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trx } from '../../src/db/types.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { defaultSeverityPolicy, type SeverityPolicy } from '../../src/domain/severity/severity-policy.js';
import {
  getSeverityPolicy,
  resetSeverityPolicy,
  updateSeverityPolicy,
} from '../../src/domain/severity/severity-policy.service.js';
import type { User } from '../../src/domain/users/users.js';
import { DomainError } from '../../src/errors.js';
import type { Actor } from '../../src/policies/actor.js';
import { ManualClock } from '../support/clock.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { makeProject, makeUser } from '../support/factories.js';

/** A valid policy unlike the defaults in every part. */
function custom(overrides: Partial<SeverityPolicy> = {}): SeverityPolicy {
  return {
    dayMode: 'business',
    timeZone: 'Europe/Berlin',
    noFridayDeadline: true,
    shutdowns: [{ from: '12-24', to: '01-02' }],
    targets: {
      critical: { fixDays: 5, release: 'out-of-band', remindDays: 1 },
      high: { fixDays: 20, release: 'next-patch', remindDays: 5 },
      medium: { fixDays: 60, release: 'next-patch', remindDays: null },
      low: { fixDays: 120, release: 'next-patch', remindDays: null },
    },
    gates: { slowDownBelow: 3, semiPublicBelow: 6.5 },
    ...overrides,
  };
}

describe.each(engines())('severity policy service on %s', (engine) => {
  let t: TestDatabase;
  const clock = new ManualClock('2026-03-02T09:00:00.000Z');
  let admin: User;
  let actor: Actor;

  beforeAll(async () => {
    t = await createTestDatabase(engine);
    admin = await makeUser(t.db, clock, { name: 'Ada Admin' });
    actor = {
      kind: 'user',
      userId: admin.id,
      email: admin.email,
      name: admin.name,
      isInstanceAdmin: false,
      roles: new Map(),
    };
  });
  afterAll(() => t.destroy());

  const tx = <T>(fn: (trx: Trx) => Promise<T>) => t.db.transaction().execute(fn);
  const update = (project: Project, policy: unknown, who: Actor = actor) =>
    tx((trx) => updateSeverityPolicy(trx, { clock }, { actor: who, origin: noOrigin, projectId: project.id, policy }));
  const reset = (project: Project) =>
    tx((trx) => resetSeverityPolicy(trx, { clock }, { actor, origin: noOrigin, projectId: project.id }));
  const audits = async (project: Project) =>
    (
      await t.db
        .selectFrom('audit_log')
        .select(['action', 'actor_user_id', 'subject_id', 'detail', 'at'])
        .where('project_id', '=', project.id)
        .where('action', 'like', 'severity-policy.%')
        .orderBy('at')
        .orderBy('id')
        .execute()
    ).map((a) => ({ ...a, detail: a.detail ? JSON.parse(a.detail) : null }));
  const rows = (project: Project) =>
    t.db.selectFrom('severity_policies').selectAll().where('project_id', '=', project.id).execute();

  it('gives the defaults to a project that never chose', async () => {
    const project = await makeProject(t.db, clock);
    expect(await getSeverityPolicy(t.db, project.id)).toEqual({
      policy: defaultSeverityPolicy,
      isDefault: true,
      updatedAt: null,
      updatedBy: null,
      updatedByName: null,
    });
  });

  it('stores a policy, reads it back and audits it with the defaults it replaced', async () => {
    const project = await makeProject(t.db, clock);
    clock.set('2026-03-03T10:00:00.000Z');
    const saved = await update(project, custom());
    expect(saved).toMatchObject({ policy: custom(), isDefault: false, changed: true });
    expect(await getSeverityPolicy(t.db, project.id)).toEqual({
      policy: custom(),
      isDefault: false,
      updatedAt: '2026-03-03T10:00:00.000Z',
      updatedBy: admin.id,
      updatedByName: 'Ada Admin',
    });
    expect(await audits(project)).toEqual([
      {
        action: 'severity-policy.updated',
        actor_user_id: admin.id,
        subject_id: project.id,
        at: '2026-03-03T10:00:00.000Z',
        detail: { previous: defaultSeverityPolicy, wasDefault: true, policy: custom() },
      },
    ]);
  });

  it('audits each change with the policy before it', async () => {
    const project = await makeProject(t.db, clock);
    await update(project, custom());
    clock.advance(60_000);
    const second = custom({ dayMode: 'calendar' });
    await update(project, second);
    const [, last] = await audits(project);
    expect(last?.detail).toEqual({ previous: custom(), wasDefault: false, policy: second });
    expect((await getSeverityPolicy(t.db, project.id)).policy.dayMode).toBe('calendar');
  });

  it('stores nothing and audits nothing when the input is refused, naming the field', async () => {
    const project = await makeProject(t.db, clock);
    await update(project, custom());
    const before = await rows(project);
    const bad = structuredClone(custom()) as unknown as { targets: { high: { remindDays: number } } };
    bad.targets.high.remindDays = 0;
    const err = await update(project, bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('VALIDATION_FAILED');
    expect((err as DomainError).details?.field).toBe('targets.high.remindDays');
    const zone = await update(project, custom({ timeZone: 'Nowhere/Special' })).catch((e: unknown) => e);
    expect((zone as DomainError).details?.field).toBe('timeZone');
    expect(await rows(project)).toEqual(before);
    expect(await audits(project)).toHaveLength(1);

    const fresh = await makeProject(t.db, clock);
    await update(fresh, { ...custom(), dayMode: 'lunar' }).catch(() => undefined);
    expect(await rows(fresh)).toEqual([]);
    expect(await audits(fresh)).toEqual([]);
  });

  it('stores and audits nothing when the policy in effect is saved unchanged', async () => {
    const project = await makeProject(t.db, clock);
    const same = await update(project, structuredClone(defaultSeverityPolicy));
    expect(same).toMatchObject({ isDefault: true, changed: false });
    expect(await rows(project)).toEqual([]);
    await update(project, custom());
    // The same policy written with another key order and a zone spelt in lower case is the same policy.
    const reordered = { ...custom(), timeZone: 'europe/berlin' };
    const again = await update(project, Object.fromEntries(Object.entries(reordered).reverse()));
    expect(again.changed).toBe(false);
    expect(await audits(project)).toHaveLength(1);
  });

  it('keeps no user id for a system change', async () => {
    const project = await makeProject(t.db, clock);
    await update(project, custom(), { kind: 'system', label: 'import' });
    expect(await getSeverityPolicy(t.db, project.id)).toMatchObject({ updatedBy: null, updatedByName: null });
  });

  it('resets to the defaults, audited, and does nothing when there is nothing to reset', async () => {
    const project = await makeProject(t.db, clock);
    await update(project, custom());
    clock.advance(60_000);
    expect((await reset(project)).changed).toBe(true);
    expect(await getSeverityPolicy(t.db, project.id)).toMatchObject({ policy: defaultSeverityPolicy, isDefault: true });
    expect((await audits(project)).map((a) => a.action)).toEqual(['severity-policy.updated', 'severity-policy.reset']);
    expect((await audits(project))[1]?.detail).toEqual({ previous: custom(), policy: defaultSeverityPolicy });
    expect((await reset(project)).changed).toBe(false);
    expect(await audits(project)).toHaveLength(2);
  });

  it('keeps each project’s policy to itself', async () => {
    const one = await makeProject(t.db, clock);
    const two = await makeProject(t.db, clock);
    await update(one, custom());
    expect((await getSeverityPolicy(t.db, two.id)).isDefault).toBe(true);
  });

  it('audits simultaneous changes as a chain: each names the policy the other left', async () => {
    const project = await makeProject(t.db, clock);
    await update(project, custom());
    clock.advance(60_000);
    const a = custom({ timeZone: 'Asia/Tokyo' });
    const b = custom({ timeZone: 'America/Chicago' });
    await Promise.all([update(project, a), update(project, b)]);
    // Both were written at the same instant, so the chain is found by content, not by order.
    const [, ...both] = await audits(project);
    const first = both.find((x) => x.detail.previous.timeZone === 'Europe/Berlin');
    const second = both.find((x) => x !== first);
    expect(both).toHaveLength(2);
    expect(first?.detail.previous).toEqual(custom());
    expect(second?.detail.previous).toEqual(first?.detail.policy);
    expect((await getSeverityPolicy(t.db, project.id)).policy).toEqual(second?.detail.policy);
  });
});
