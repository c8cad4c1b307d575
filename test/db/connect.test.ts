import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { connect } from '../../src/db/connect.js';
import { createTestDatabase, engines } from '../support/databases.js';

describe.each(engines())('connections on %s', (engine) => {
  it('survive the server closing an idle connection, and the next query works', async () => {
    const t = await createTestDatabase(engine);
    const errors: Error[] = [];
    const db = connect({ url: t.url, onIdleError: (err) => errors.push(err) });
    try {
      const pid = await sql<{ pid: number }>`select ${sql.raw(engine === 'postgres' ? 'pg_backend_pid()' : '1')} as pid`
        .execute(db)
        .then((r) => Number(r.rows[0]?.pid));
      if (engine === 'postgres') {
        // What a restart or an admin's pg_terminate_backend does to an idle pooled connection.
        const admin = new pg.Client({ connectionString: t.url });
        await admin.connect();
        await admin.query('select pg_terminate_backend($1)', [pid]);
        await admin.end();
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(errors.length).toBe(1);
      }
      const after = await sql<{ ok: number }>`select 1 as ok`.execute(db);
      expect(Number(after.rows[0]?.ok)).toBe(1);
    } finally {
      await db.destroy();
      await t.destroy();
    }
  });
});
