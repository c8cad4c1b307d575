import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUniqueViolation } from '../../src/db/dialect.js';
import { errorsPlugin } from '../../src/http/plugins/errors.js';
import { ManualClock } from '../support/clock.js';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';
import { makeProject } from '../support/factories.js';

const clock = new ManualClock();

describe.each(engines())('unique violations on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase(engine);
  });
  afterAll(() => t.destroy());

  /** The error the driver throws for `write`, or undefined when it succeeds. */
  const errorOf = (write: () => Promise<unknown>) =>
    write().then(
      () => undefined,
      (err: unknown) => err,
    );
  const projectRow = (slug: string) => ({
    id: randomUUID(),
    slug,
    name: 'P',
    repository_url: null,
    security_contact: null,
    ack_target_hours: 24,
    ack_template: null,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  });

  it('recognises a duplicate unique column and a duplicate primary key, and nothing else', async () => {
    const project = await makeProject(t.db, clock);
    const slug = await errorOf(() => t.db.insertInto('projects').values(projectRow(project.slug)).execute());
    expect(isUniqueViolation(slug)).toBe(true);

    const user = (id: string) => ({ id, email: `${id}@example.org`, name: 'U', created_at: 'x', updated_at: 'x' });
    const [u1, u2] = [randomUUID(), randomUUID()];
    await t.db
      .insertInto('users')
      .values([user(u1), user(u2)])
      .execute();
    const membership = { project_id: project.id, user_id: u1, role: 'security', created_at: 'x' };
    await t.db.insertInto('memberships').values(membership).execute();
    const primaryKey = await errorOf(() => t.db.insertInto('memberships').values(membership).execute());
    expect(isUniqueViolation(primaryKey)).toBe(true);

    // Other constraint failures are not conflicts.
    const check = await errorOf(() =>
      t.db
        .insertInto('memberships')
        .values({ ...membership, user_id: u2, role: 'owner' })
        .execute(),
    );
    expect(check).toBeDefined();
    expect(isUniqueViolation(check)).toBe(false);
    for (const other of [undefined, null, 'SQLITE_CONSTRAINT_UNIQUE', new Error('duplicate'), { code: 23505 }]) {
      expect(isUniqueViolation(other)).toBe(false);
    }
  });

  it('answers one a service did not translate with 409 CONFLICT, not 500, and without the driver message', async () => {
    const project = await makeProject(t.db, clock);
    const app = Fastify({ logger: false });
    await errorsPlugin(app);
    app.post('/api/duplicate', async () => {
      await t.db.insertInto('projects').values(projectRow(project.slug)).execute();
      return { ok: true };
    });
    try {
      const res = await app.inject({ method: 'POST', url: '/api/duplicate' });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('CONFLICT');
      expect(res.body).not.toMatch(/projects_slug_key|duplicate key|UNIQUE constraint/i);
    } finally {
      await app.close();
    }
  });
});
