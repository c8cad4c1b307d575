import { type Kysely, PostgresAdapter, sql } from 'kysely';

// Frozen once released: never import application code here. Severity (issue 4): a case's CVSS
// vectors, SSVC decision, exploitation context and CWEs; the case history that keeps every earlier
// value with who changed it and why; each project's severity policy; the case owner who is reminded;
// and personal API tokens for the team's JSON API.

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<any>): Promise<void> {
  // Who is reminded when a case does not move; the member who opened it until a Fix Lead is named.
  await db.schema
    .alterTable('cases')
    .addColumn('owner_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .execute();
  await sql`update cases set owner_id = created_by`.execute(db);

  // One row per scored case. Scores are not stored: the server recomputes them from the vectors, so
  // a stored score can never disagree with its vector. The effective severity and priority are
  // stored (recomputed on every change) only so that lists can sort and filter by them.
  await db.schema
    .createTable('case_severity')
    .addColumn('case_id', 'text', (c) => c.primaryKey().references('cases.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('cvss_v31', 'text')
    .addColumn('cvss_v40', 'text')
    // A CVSS 3.0 or 2.0 vector that came with an imported advisory; shown, never offered for new scores.
    .addColumn('cvss_imported', 'text')
    .addColumn('ssvc_exploitation', 'text')
    .addColumn('ssvc_automatable', 'text')
    .addColumn('ssvc_value_density', 'text')
    .addColumn('ssvc_technical_impact', 'text')
    .addColumn('ssvc_public_safety_impact', 'text')
    .addColumn('exploited_in_wild', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('exploitation_source', 'text')
    .addColumn('exploitation_reported_on', 'text')
    .addColumn('public_exploit', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('exposure', 'text')
    .addColumn('effective_severity', 'text', (c) => c.notNull().defaultTo('none'))
    .addColumn('priority', 'text', (c) => c.notNull().defaultTo('defer'))
    // The time of the pending owner reminder; a reminder job whose time differs is stale and does nothing.
    .addColumn('next_reminder_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .execute();
  await db.schema
    .createIndex('case_severity_project_idx')
    .on('case_severity')
    .columns(['project_id', 'effective_severity'])
    .execute();

  await db.schema
    .createTable('case_cwes')
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('cwe_id', 'integer', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addPrimaryKeyConstraint('case_cwes_pkey', ['case_id', 'cwe_id'])
    .execute();

  // The case's own history, shown on the case page: each change with the value before and after
  // (JSON), who made it and why. Append-only like the audit log.
  await db.schema
    .createTable('case_history')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('at', 'text', (c) => c.notNull())
    // No foreign key, as in audit_log: the history is append-only, so a cascading update could not run.
    .addColumn('actor_user_id', 'text')
    .addColumn('actor_label', 'text', (c) => c.notNull())
    .addColumn('change', 'text', (c) => c.notNull())
    .addColumn('previous', 'text')
    .addColumn('value', 'text')
    .addColumn('reason', 'text')
    .execute();
  await db.schema.createIndex('case_history_case_at_idx').on('case_history').columns(['case_id', 'at']).execute();

  // A project's severity policy as JSON (see domain/severity/severity-policy.ts); no row: the defaults.
  await db.schema
    .createTable('severity_policies')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .execute();

  // Personal API tokens: the JSON API never reads the session cookie, it takes a bearer token.
  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .addUniqueConstraint('api_tokens_hash_key', ['token_hash'])
    .execute();
  await db.schema.createIndex('api_tokens_user_idx').on('api_tokens').column('user_id').execute();

  if (isPostgres(db)) {
    await sql`create function case_history_append_only() returns trigger language plpgsql as $$
      begin raise exception 'case_history is append-only'; end $$`.execute(db);
    await sql`create trigger case_history_no_update before update on case_history
      for each row execute function case_history_append_only()`.execute(db);
  } else {
    await sql`create trigger case_history_no_update before update on case_history
      begin select raise(abort, 'case_history is append-only'); end`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`drop trigger if exists case_history_no_update on case_history`.execute(db);
    await sql`drop function if exists case_history_append_only()`.execute(db);
  }
  for (const table of ['api_tokens', 'severity_policies', 'case_history', 'case_cwes', 'case_severity']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('cases').dropColumn('owner_id').execute();
}
