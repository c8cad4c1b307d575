import type { Kysely } from 'kysely';

// Frozen once released: never import application code here. Issue 6: advisories in every format.
// The advisory gains what its public record needs (aliases, CVE id, references, related ids) and
// the record itself, frozen at publication and replaced by each revision (edit, withdrawal), with
// every revision kept; a CNA project's pool of reserved CVE ids; the project's public security
// settings (publisher, CVE source, bounty, security.txt).

export async function up(db: Kysely<any>): Promise<void> {
  // JSON arrays of ids (aliases, related) and of { type, url } (references).
  for (const column of ['aliases', 'related', 'references_json']) {
    await db.schema
      .alterTable('advisories')
      .addColumn(column, 'text', (c) => c.notNull().defaultTo('[]'))
      .execute();
  }
  await db.schema.alterTable('advisories').addColumn('cve_id', 'text').execute();
  // Non-CNA projects: who the CVE id was requested from, and when ("GitHub", "MITRE").
  await db.schema.alterTable('advisories').addColumn('cve_requested_from', 'text').execute();
  await db.schema.alterTable('advisories').addColumn('cve_requested_at', 'text').execute();
  // The public record (JSON) as of the current revision; null until published.
  await db.schema.alterTable('advisories').addColumn('record', 'text').execute();
  await db.schema
    .alterTable('advisories')
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('advisories').addColumn('modified_at', 'text').execute();
  await db.schema.alterTable('advisories').addColumn('withdrawn_at', 'text').execute();
  await db.schema.alterTable('advisories').addColumn('withdrawn_reason', 'text').execute();
  // Affected versions listed one by one (OSV `versions`), as an imported advisory may give them.
  await db.schema
    .alterTable('case_packages')
    .addColumn('versions', 'text', (c) => c.notNull().defaultTo('[]'))
    .execute();
  await db.schema.createIndex('advisories_cve_id_idx').on('advisories').column('cve_id').execute();

  // Every revision of a published advisory with the record as it was, so old versions stay citable.
  await db.schema
    .createTable('advisory_revisions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('actor_label', 'text', (c) => c.notNull())
    .addColumn('record', 'text', (c) => c.notNull())
    .addUniqueConstraint('advisory_revisions_case_number_uq', ['case_id', 'number'])
    .execute();

  // A CNA project's CVE ids: reserved from CVE Services (or entered by hand), then assigned to one
  // case, published with its advisory, or rejected when unused.
  await db.schema
    .createTable('cve_ids')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('cve_id', 'text', (c) => c.notNull())
    .addColumn('year', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('case_id', 'text', (c) => c.references('cases.id').onDelete('set null'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('reserved_at', 'text', (c) => c.notNull())
    .addColumn('assigned_at', 'text')
    .addColumn('published_at', 'text')
    .addColumn('rejected_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('cve_ids_cve_id_uq', ['cve_id'])
    .execute();
  await db.schema.createIndex('cve_ids_project_state_idx').on('cve_ids').columns(['project_id', 'state']).execute();

  // What the project's public security pages say beyond its other settings.
  await db.schema
    .createTable('project_security_settings')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    // Shown as the publisher of advisories (CSAF, CVE); the project's name when null.
    .addColumn('publisher_name', 'text')
    // 'cna': ids come from the project's pool; 'request': requested from someone, entered by hand.
    .addColumn('cve_source', 'text', (c) => c.notNull())
    .addColumn('cve_request_from', 'text')
    .addColumn('bounty_text', 'text')
    .addColumn('bounty_url', 'text')
    // security.txt's Expires: this many days after the day it is served.
    .addColumn('security_txt_days', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('project_security_settings').execute();
  await db.schema.dropTable('cve_ids').execute();
  await db.schema.dropTable('advisory_revisions').execute();
  await db.schema.dropIndex('advisories_cve_id_idx').execute();
  await db.schema.alterTable('case_packages').dropColumn('versions').execute();
  for (const column of [
    'withdrawn_reason',
    'withdrawn_at',
    'modified_at',
    'revision',
    'record',
    'cve_requested_at',
    'cve_requested_from',
    'cve_id',
    'references_json',
    'related',
    'aliases',
  ]) {
    await db.schema.alterTable('advisories').dropColumn(column).execute();
  }
}
