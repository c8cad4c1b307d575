import { type Kysely, PostgresAdapter } from 'kysely';

// Frozen: never import application code here. Mail intake: project addresses, every inbound
// message (from SMTP or IMAP) with its processing outcome, IMAP mailboxes with their cursor, the
// project's OpenPGP key, and what outgoing mail needs for threading and encryption.

function isPostgres(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<any>): Promise<void> {
  const binary = isPostgres(db) ? 'bytea' : 'blob';

  await db.schema
    .createTable('intake_addresses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('intake_addresses_address_key', ['address'])
    .execute();

  await db.schema
    .createTable('imap_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('secure', 'integer', (c) => c.notNull())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('password_sealed', 'text', (c) => c.notNull())
    .addColumn('mailbox', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('uid_validity', 'text')
    .addColumn('last_uid', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('last_polled_at', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('inbound_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.references('projects.id').onDelete('cascade'))
    .addColumn('imap_account_id', 'text', (c) => c.references('imap_accounts.id').onDelete('set null'))
    .addColumn('imap_uid_validity', 'text')
    .addColumn('imap_uid', 'integer')
    .addColumn('envelope_from', 'text')
    .addColumn('envelope_to', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    // The raw message is kept until processed, and for quarantined messages; then cleared.
    .addColumn('raw', binary)
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('report_id', 'text', (c) => c.references('reports.id').onDelete('set null'))
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('processed_at', 'text')
    .addUniqueConstraint('inbound_messages_imap_uid_key', ['imap_account_id', 'imap_uid_validity', 'imap_uid'])
    .execute();
  await db.schema.createIndex('inbound_messages_message_id_idx').on('inbound_messages').column('message_id').execute();
  await db.schema
    .createIndex('inbound_messages_status_idx')
    .on('inbound_messages')
    .columns(['status', 'received_at'])
    .execute();

  await db.schema
    .createTable('project_pgp_keys')
    .addColumn('project_id', 'text', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('private_key_sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  // The reporter's public key (sent as an attachment or an Autocrypt header), to encrypt replies.
  await db.schema.alterTable('reports').addColumn('reporter_pgp_key', 'text').execute();

  // Outgoing mail: extra headers (Reply-To, In-Reply-To, References) as JSON, and the key to encrypt to.
  await db.schema.alterTable('outbound_emails').addColumn('headers', 'text').execute();
  await db.schema.alterTable('outbound_emails').addColumn('encrypt_to_key', 'text').execute();
  await db.schema.createIndex('outbound_emails_report_idx').on('outbound_emails').column('report_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('outbound_emails_report_idx').execute();
  await db.schema.alterTable('outbound_emails').dropColumn('encrypt_to_key').execute();
  await db.schema.alterTable('outbound_emails').dropColumn('headers').execute();
  await db.schema.alterTable('reports').dropColumn('reporter_pgp_key').execute();
  for (const table of ['project_pgp_keys', 'inbound_messages', 'imap_accounts', 'intake_addresses']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
