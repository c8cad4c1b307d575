import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';

// SQLite connections keep prepared statements by their SQL (db/statement-cache.ts). A kept
// statement must behave as a fresh one: new rows after writes, new columns after a schema change.
// PostgreSQL runs the same checks, so both engines are held to one behaviour.

for (const engine of engines()) {
  describe(`statements run again (${engine})`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      t = await createTestDatabase(engine, { migrate: false });
      await sql`create table kept (id integer primary key, name text not null)`.execute(t.db);
    });
    afterAll(async () => t.destroy());

    const names = () => sql<{ name: string }>`select name from kept order by id`.execute(t.db);

    it('read what was written since they last ran', async () => {
      expect((await names()).rows).toEqual([]);
      for (const [id, name] of [
        [1, 'a'],
        [2, 'b'],
      ] as const) {
        await sql`insert into kept (id, name) values (${id}, ${name})`.execute(t.db);
      }
      expect((await names()).rows.map((r) => r.name)).toEqual(['a', 'b']);
    });

    it('see a column added since they were prepared', async () => {
      const all = () => sql<Record<string, unknown>>`select * from kept order by id`.execute(t.db);
      expect(Object.keys((await all()).rows[0] ?? {})).toEqual(['id', 'name']);
      await sql`alter table kept add column note text`.execute(t.db);
      expect((await all()).rows[0]).toEqual({ id: 1, name: 'a', note: null });
    });
  });
}
