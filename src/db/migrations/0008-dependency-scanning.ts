import { type Kysely, sql } from 'kysely';

// Frozen once released: never import application code here. Issue 7: dependency scanning.
// The vulnerability database (OSV records, imported or the instance's own published advisories,
// with one row per affected package for lookup by package); inventories (the packages of a
// registered lockfile or SBOM, of a project's branch or of a dependent), whose package rows are
// also the reverse index from package to dependents; findings tracked per branch with VEX-style
// states; dependents (projects and outside subscribers) and the alerts they were sent.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('vulns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('modified', 'text', (c) => c.notNull())
    .addColumn('published', 'text')
    .addColumn('withdrawn', 'text')
    .addColumn('summary', 'text', (c) => c.notNull())
    // JSON array of ids.
    .addColumn('aliases', 'text', (c) => c.notNull())
    // The whole OSV record as JSON.
    .addColumn('record', 'text', (c) => c.notNull())
    // import | project
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.references('projects.id').onDelete('cascade'))
    .addColumn('case_id', 'text', (c) => c.references('cases.id').onDelete('set null'))
    .addColumn('imported_at', 'text', (c) => c.notNull())
    .addCheckConstraint('vulns_origin_check', sql`origin in ('import', 'project')`)
    .execute();
  await db.schema.createIndex('vulns_case_idx').on('vulns').column('case_id').execute();
  // The latest imported_at is the database's generation: caches of lookups compare it (one index probe).
  await db.schema.createIndex('vulns_imported_at_idx').on('vulns').column('imported_at').execute();

  // One row per `affected` entry. package_key is the ecosystem without its release suffix and the
  // name as the ecosystem compares it ("PyPI:django-rest-framework"), so a lookup is one index probe.
  await db.schema
    .createTable('vuln_packages')
    .addColumn('vuln_id', 'text', (c) => c.notNull().references('vulns.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('package_key', 'text', (c) => c.notNull())
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // JSON { ranges, versions } of the entry.
    .addColumn('affected', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('vuln_packages_pk', ['vuln_id', 'seq'])
    .execute();
  await db.schema.createIndex('vuln_packages_key_idx').on('vuln_packages').column('package_key').execute();

  // Outside subscribers (email, double opt-in) and projects of this instance that want to hear
  // when something they depend on gets an advisory.
  await db.schema
    .createTable('dependents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    // pending | active | unsubscribed
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('confirm_token_hash', 'text', (c) => c.unique())
    .addColumn('manage_token_hash', 'text', (c) => c.unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'text')
    .addColumn('unsubscribed_at', 'text')
    .addCheckConstraint('dependents_status_check', sql`status in ('pending', 'active', 'unsubscribed')`)
    .execute();
  await db.schema.createIndex('dependents_project_idx').on('dependents').column('project_id').execute();

  // A registered lockfile, SBOM or list of package URLs: of a project's release branch, or of a
  // dependent. A new upload for the same branch and name replaces the old one.
  await db.schema
    .createTable('inventories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.references('projects.id').onDelete('cascade'))
    .addColumn('branch_id', 'text', (c) => c.references('release_branches.id').onDelete('cascade'))
    .addColumn('dependent_id', 'text', (c) => c.references('dependents.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('package_count', 'integer', (c) => c.notNull())
    .addColumn('uploaded_at', 'text', (c) => c.notNull())
    .addColumn('uploaded_by', 'text', (c) => c.notNull())
    .addCheckConstraint(
      'inventories_owner_check',
      sql`(branch_id is not null and project_id is not null and dependent_id is null) or (dependent_id is not null and branch_id is null)`,
    )
    .execute();
  await db.schema.createIndex('inventories_branch_idx').on('inventories').columns(['branch_id', 'name']).execute();
  await db.schema.createIndex('inventories_dependent_idx').on('inventories').column('dependent_id').execute();

  // The reverse index: package -> the inventories (and so branches and dependents) that hold it.
  await db.schema
    .createTable('inventory_packages')
    .addColumn('inventory_id', 'text', (c) => c.notNull().references('inventories.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('package_key', 'text', (c) => c.notNull())
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('inventory_packages_pk', ['inventory_id', 'seq'])
    .execute();
  await db.schema.createIndex('inventory_packages_key_idx').on('inventory_packages').column('package_key').execute();

  // A vulnerability in a package version that a branch ships, with its VEX-style state.
  await db.schema
    .createTable('findings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('branch_id', 'text', (c) => c.notNull().references('release_branches.id').onDelete('cascade'))
    .addColumn('vuln_id', 'text', (c) => c.notNull())
    .addColumn('package_key', 'text', (c) => c.notNull())
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    // critical | high | medium | low | unknown
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('fixed_version', 'text')
    // in_triage | affected | not_affected | fixed
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('justification', 'text')
    .addColumn('note', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('owner_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    // 1 while the branch's inventories still hold the version and the database still lists it.
    .addColumn('present', 'integer', (c) => c.notNull())
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('gone_at', 'text')
    .addColumn('due_at', 'text')
    .addColumn('resolved_at', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('notified_at', 'text')
    .addUniqueConstraint('findings_key', ['branch_id', 'vuln_id', 'package_key', 'version'])
    .addCheckConstraint('findings_state_check', sql`state in ('in_triage', 'affected', 'not_affected', 'fixed')`)
    .execute();
  await db.schema
    .createIndex('findings_project_idx')
    .on('findings')
    .columns(['project_id', 'present', 'state'])
    .execute();

  // Each alert told to a dependent, once per (dependent, vulnerability, package version).
  await db.schema
    .createTable('dependent_alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dependent_id', 'text', (c) => c.notNull().references('dependents.id').onDelete('cascade'))
    .addColumn('vuln_id', 'text', (c) => c.notNull())
    .addColumn('case_id', 'text', (c) => c.references('cases.id').onDelete('set null'))
    .addColumn('package_key', 'text', (c) => c.notNull())
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('fixed_version', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('dependent_alerts_key', ['dependent_id', 'vuln_id', 'package_key', 'version'])
    .execute();
  await db.schema.createIndex('dependent_alerts_case_idx').on('dependent_alerts').column('case_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'dependent_alerts',
    'findings',
    'inventory_packages',
    'inventories',
    'dependents',
    'vuln_packages',
    'vulns',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
