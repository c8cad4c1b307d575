import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateDown, migrateToLatest, migrationNames } from '../../src/db/migrate.js';
import { createTestDatabase, engines } from '../support/databases.js';

describe.each(engines())('migrations on %s', (engine) => {
  it('apply, hold data, refuse audit edits, and roll back', async () => {
    const t = await createTestDatabase(engine, { migrate: false });
    try {
      const result = await migrateToLatest(t.db);
      expect(result.results?.map((r) => r.migrationName)).toEqual(migrationNames);
      const now = new Date().toISOString();
      await t.db
        .insertInto('projects')
        .values({
          id: 'p1',
          slug: 'demo',
          name: 'Demo',
          repository_url: null,
          security_contact: null,
          ack_template: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      const row = await t.db.selectFrom('projects').selectAll().executeTakeFirstOrThrow();
      expect(row.ack_target_hours).toBe(24);
      await t.db
        .insertInto('audit_log')
        .values({
          id: 'a1',
          at: now,
          actor_kind: 'system',
          actor_user_id: null,
          actor_label: 'system',
          project_id: 'p1',
          action: 'test',
          subject_type: 'project',
          subject_id: 'p1',
          ip: null,
          user_agent: null,
          detail: null,
        })
        .execute();
      await expect(t.db.updateTable('audit_log').set({ action: 'changed' }).execute()).rejects.toThrow(/append-only/);
      await expect(t.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
      // A second run is a no-op.
      expect((await migrateToLatest(t.db)).results).toEqual([]);
      for (const _ of migrationNames) await migrateDown(t.db);
      const tables = await t.db.introspection.getTables();
      expect(tables.map((x) => x.name).filter((n) => !n.startsWith('embargo_migrations'))).toEqual([]);
      await migrateToLatest(t.db);
      expect(
        await sql<{ n: number }>`select count(*) as n from projects`.execute(t.db).then((r) => Number(r.rows[0]?.n)),
      ).toBe(0);
    } finally {
      await t.destroy();
    }
  });
});
