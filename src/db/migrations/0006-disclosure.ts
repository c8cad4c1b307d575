import { type Kysely, sql } from 'kysely';

// Frozen once released: never import application code here. Issue 5, third part: the disclosure
// around an embargo. The advisory draft of a case; distributors (organisations, contacts, the
// project's programme and each one's acceptance of its embargo terms) and what each was sent;
// mailing lists with double opt-in, announcement templates and the announcements sent; the
// timeline's steps as done; the retrospective; and attachments of outgoing mail (patches).

export async function up(db: Kysely<any>): Promise<void> {
  // The advisory of a case: a private draft until the go publishes it (published_at, public_id).
  await db.schema
    .createTable('advisories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().unique().references('cases.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    // Assigned at publication, e.g. DEMO-2026-0001; unique across the instance.
    .addColumn('public_id', 'text', (c) => c.unique())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('affected_text', 'text', (c) => c.notNull())
    .addColumn('check_text', 'text', (c) => c.notNull())
    .addColumn('upgrade_text', 'text', (c) => c.notNull())
    .addColumn('mitigations_text', 'text', (c) => c.notNull())
    .addColumn('detection_text', 'text', (c) => c.notNull())
    // JSON array of { name, type }.
    .addColumn('credits', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .execute();
  await db.schema
    .createIndex('advisories_project_published_idx')
    .on('advisories')
    .columns(['project_id', 'published_at'])
    .execute();

  // A project's distributor programme: who may join (criteria) and the embargo terms they accept.
  await db.schema
    .createTable('distributor_programs')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('criteria', 'text', (c) => c.notNull())
    .addColumn('terms', 'text', (c) => c.notNull())
    .addColumn('terms_version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .execute();

  // Organisations told ahead under embargo. Removed ones are kept (removed_at) for the record of
  // what they were sent.
  await db.schema
    .createTable('distributors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('website', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('removed_at', 'text')
    .execute();
  await db.schema.createIndex('distributors_project_idx').on('distributors').column('project_id').execute();

  // A distributor's contacts: accounts (they sign in to the distributor portal), optionally with an
  // OpenPGP key their mail is encrypted to.
  await db.schema
    .createTable('distributor_contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('distributor_id', 'text', (c) => c.notNull().references('distributors.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('pgp_key', 'text')
    .addColumn('pgp_fingerprint', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('removed_at', 'text')
    .execute();
  await db.schema.createIndex('distributor_contacts_user_idx').on('distributor_contacts').column('user_id').execute();
  await db.schema
    .createIndex('distributor_contacts_distributor_idx')
    .on('distributor_contacts')
    .column('distributor_id')
    .execute();

  // Each recorded acceptance of a version of the programme's terms.
  await db.schema
    .createTable('distributor_acceptances')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('distributor_id', 'text', (c) => c.notNull().references('distributors.id').onDelete('cascade'))
    .addColumn('terms_version', 'integer', (c) => c.notNull())
    .addColumn('accepted_at', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .execute();
  await db.schema
    .createIndex('distributor_acceptances_distributor_idx')
    .on('distributor_acceptances')
    .column('distributor_id')
    .execute();

  // One notice per case and distributor: when it was told, and what (a JSON snapshot of the
  // advisory draft and the patches, with their hashes).
  await db.schema
    .createTable('distributor_notices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('distributor_id', 'text', (c) => c.notNull().references('distributors.id').onDelete('cascade'))
    .addColumn('notified_at', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'text', (c) => c.notNull())
    .addUniqueConstraint('distributor_notices_key', ['case_id', 'distributor_id'])
    .execute();
  // Each contact a notice went to, with a one-time link to acknowledge receipt (hash only).
  await db.schema
    .createTable('distributor_recipients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('notice_id', 'text', (c) => c.notNull().references('distributor_notices.id').onDelete('cascade'))
    .addColumn('contact_id', 'text', (c) => c.notNull().references('distributor_contacts.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('ack_token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('acknowledged_at', 'text')
    .addColumn('acknowledged_by', 'text')
    .addUniqueConstraint('distributor_recipients_key', ['notice_id', 'contact_id'])
    .execute();
  // Every mail a recipient got about the notice (the notice itself, the pre-release notice,
  // revisions, ...), once each: dedupe_key is unique per recipient.
  await db.schema
    .createTable('distributor_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('recipient_id', 'text', (c) => c.notNull().references('distributor_recipients.id').onDelete('cascade'))
    .addColumn('case_id', 'text', (c) => c.notNull().references('cases.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('email_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('distributor_messages_key', ['recipient_id', 'dedupe_key'])
    .execute();
  await db.schema.createIndex('distributor_messages_case_idx').on('distributor_messages').column('case_id').execute();

  // Mailing lists of a project (announce, security-announce, ...) and which announcements each takes.
  await db.schema
    .createTable('mailing_lists')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    // JSON array of announcement kinds.
    .addColumn('kinds', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('mailing_lists_name_key', ['project_id', 'name'])
    .execute();
  // Double opt-in: pending until the address's owner follows the link mailed to it.
  await db.schema
    .createTable('list_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('list_id', 'text', (c) => c.notNull().references('mailing_lists.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('confirm_token_hash', 'text', (c) => c.unique())
    .addColumn('confirm_expires_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('confirmed_at', 'text')
    .addColumn('unsubscribed_at', 'text')
    .addUniqueConstraint('list_subscriptions_key', ['list_id', 'email'])
    .addCheckConstraint('list_subscriptions_status_check', sql`status in ('pending', 'confirmed', 'unsubscribed')`)
    .execute();
  await db.schema
    .createIndex('list_subscriptions_list_status_idx')
    .on('list_subscriptions')
    .columns(['list_id', 'status', 'confirmed_at'])
    .execute();

  // A project's own wording of each announcement kind; no row: the built-in template.
  await db.schema
    .createTable('announcement_templates')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addPrimaryKeyConstraint('announcement_templates_pkey', ['project_id', 'kind'])
    .execute();

  // Public announcements, written when they go out (never before). dedupe_key makes each one of
  // a case exist once: 'fix_forthcoming', 'release', 'revision:<id>' ...
  await db.schema
    .createTable('announcements')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('case_id', 'text', (c) => c.references('cases.id').onDelete('set null'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('published_at', 'text', (c) => c.notNull())
    // Set when every subscriber's copy is in the outbox.
    .addColumn('fanned_out_at', 'text')
    .addUniqueConstraint('announcements_key', ['project_id', 'case_id', 'dedupe_key'])
    .execute();
  await db.schema
    .createIndex('announcements_project_published_idx')
    .on('announcements')
    .columns(['project_id', 'published_at'])
    .execute();
  // Which subscription got which announcement: the fan-out inserts each pair once.
  await db.schema
    .createTable('announcement_deliveries')
    .addColumn('announcement_id', 'text', (c) => c.notNull().references('announcements.id').onDelete('cascade'))
    .addColumn('subscription_id', 'text', (c) => c.notNull().references('list_subscriptions.id').onDelete('cascade'))
    .addColumn('email_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('announcement_deliveries_pkey', ['announcement_id', 'subscription_id'])
    .execute();

  // The timeline's steps as done: each is done once, by its job, under the case's lock.
  for (const column of [
    'distributor_notice_done_at',
    'public_notice_done_at',
    'prerelease_notice_done_at',
    'released_at',
    'retrospective_done_at',
  ]) {
    await db.schema.alterTable('embargoes').addColumn(column, 'text').execute();
  }

  // The blameless retrospective drafted after the release, with the case's timeline filled in.
  await db.schema
    .createTable('retrospectives')
    .addColumn('case_id', 'text', (c) => c.primaryKey().references('cases.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('drafted_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.references('users.id').onDelete('set null'))
    .execute();

  // Files sent with an outgoing email (a distributor's patches): text, kept with the email.
  await db.schema
    .createTable('outbound_email_attachments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email_id', 'text', (c) => c.notNull().references('outbound_emails.id').onDelete('cascade'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('outbound_email_attachments_email_idx')
    .on('outbound_email_attachments')
    .column('email_id')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'outbound_email_attachments',
    'retrospectives',
    'announcement_deliveries',
    'announcements',
    'announcement_templates',
    'list_subscriptions',
    'mailing_lists',
    'distributor_messages',
    'distributor_recipients',
    'distributor_notices',
    'distributor_acceptances',
    'distributor_contacts',
    'distributors',
    'distributor_programs',
    'advisories',
  ]) {
    await db.schema.dropTable(table).execute();
  }
  for (const column of [
    'retrospective_done_at',
    'released_at',
    'prerelease_notice_done_at',
    'public_notice_done_at',
    'distributor_notice_done_at',
  ]) {
    await db.schema.alterTable('embargoes').dropColumn(column).execute();
  }
}
