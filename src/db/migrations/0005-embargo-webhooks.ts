import type { Kysely } from 'kysely';

// Frozen once released: never import application code here. Issue 5, second part: the embargo of a
// case with its planned timeline and revisions, each project's embargo policy, and signed webhooks
// with their deliveries.

export async function up(db: Kysely<any>): Promise<void> {
  // A project's embargo policy as JSON (domain/cases/embargo-policy.ts); no row: the defaults.
  await db.schema
    .createTable('embargo_policies')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .execute();

  // One embargo per case: its state and its planned timeline (UTC instants, ISO text).
  await db.schema
    .createTable('embargoes')
    .addColumn('case_id', 'text', (c) => c.primaryKey().references('cases.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('release_at', 'text', (c) => c.notNull())
    .addColumn('distributor_notice_at', 'text')
    .addColumn('public_notice_at', 'text')
    .addColumn('prerelease_notice_at', 'text')
    .addColumn('retrospective_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('embargoes_project_release_idx')
    .on('embargoes')
    .columns(['project_id', 'release_at'])
    .execute();

  // Every change of the planned release, with its reason (append-only by use).
  await db.schema
    .createTable('embargo_revisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor_user_id', 'text')
    .addColumn('actor_label', 'text', (c) => c.notNull())
    .addColumn('previous_release_at', 'text')
    .addColumn('release_at', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .execute();

  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    // The signing secret, sealed with the server key (instance/sealed.ts).
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .execute();

  // One row per event per webhook, written in the transaction of the change; the job delivers it.
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('webhook_id', 'text', (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('delivered_at', 'text')
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_webhook_idx')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['webhook_deliveries', 'webhooks', 'embargo_revisions', 'embargoes', 'embargo_policies']) {
    await db.schema.dropTable(table).execute();
  }
}
