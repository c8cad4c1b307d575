import { type Kysely, sql } from 'kysely';

// Frozen once released: never import application code here. Fix coordination (issue 5, first
// part): the case's Fix Lead and Fix Team, external collaborators invited to one case, the case's
// standing on each release branch and its affected packages, and private patches with reviews.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('cases')
    .addColumn('fix_lead_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .execute();
  // Set when a leak or exploitation ends the embargo early; the release is then expedited.
  await db.schema.alterTable('cases').addColumn('embargo_broken_at', 'text').execute();

  // The Fix Team: project members working on the fix (the lead is also in cases.fix_lead_id).
  await db.schema
    .createTable('case_team')
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('added_at', 'text', (c) => c.notNull())
    .addColumn('added_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addPrimaryKeyConstraint('case_team_pkey', ['case_id', 'user_id'])
    .execute();

  // People outside the project invited to one case; access ends when revoked_at is set.
  await db.schema
    .createTable('case_collaborators')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('invited_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('invited_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('revoked_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .execute();
  await db.schema.createIndex('case_collaborators_user_idx').on('case_collaborators').column('user_id').execute();
  await db.schema.createIndex('case_collaborators_case_idx').on('case_collaborators').column('case_id').execute();

  // The case on each release branch of its project.
  await db.schema
    .createTable('case_branches')
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('branch_id', 'text', (c) => c.notNull().references('release_branches.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('fixed_version', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addPrimaryKeyConstraint('case_branches_pkey', ['case_id', 'branch_id'])
    .addCheckConstraint('case_branches_status_check', sql`status in ('affected', 'not_affected', 'unknown', 'fixed')`)
    .execute();

  // Affected packages and their version ranges (OSV-style events per range).
  await db.schema
    .createTable('case_packages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('purl', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('case_packages_key', ['case_id', 'ecosystem', 'name'])
    .execute();
  await db.schema
    .createTable('package_ranges')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('package_id', 'text', (c) => c.notNull().references('case_packages.id').onDelete('cascade'))
    .addColumn('branch_id', 'text', (c) => c.references('release_branches.id').onDelete('set null'))
    .addColumn('introduced', 'text', (c) => c.notNull())
    .addColumn('fixed', 'text')
    .addColumn('last_affected', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  // Private patches per branch and their reviews. A new upload for a branch supersedes the old one.
  await db.schema
    .createTable('patches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('branch_id', 'text', (c) => c.notNull().references('release_branches.id').onDelete('cascade'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('uploaded_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('uploaded_at', 'text', (c) => c.notNull())
    .addCheckConstraint('patches_kind_check', sql`kind in ('format-patch', 'diff')`)
    .addCheckConstraint(
      'patches_status_check',
      sql`status in ('in_review', 'approved', 'changes_requested', 'superseded')`,
    )
    .execute();
  await db.schema.createIndex('patches_case_idx').on('patches').columns(['case_id', 'branch_id']).execute();
  await db.schema
    .createTable('patch_reviews')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('patch_id', 'text', (c) => c.notNull().references('patches.id').onDelete('cascade'))
    .addColumn('reviewer_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('verdict', 'text', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addCheckConstraint('patch_reviews_verdict_check', sql`verdict in ('approve', 'request_changes', 'comment')`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'patch_reviews',
    'patches',
    'package_ranges',
    'case_packages',
    'case_branches',
    'case_collaborators',
    'case_team',
  ]) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.alterTable('cases').dropColumn('embargo_broken_at').execute();
  await db.schema.alterTable('cases').dropColumn('fix_lead_id').execute();
}
