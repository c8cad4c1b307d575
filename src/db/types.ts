import type { Kysely, Transaction } from 'kysely';
import type { DB } from './schema.js';

/** A handle for reads and single statements. */
export type Db = Kysely<DB>;
/** A handle that proves the caller opened a transaction: services that write several rows take this. */
export type Trx = Transaction<DB>;
/** Either; for reads that may run inside or outside a transaction. */
export type DbOrTrx = Kysely<DB> | Transaction<DB>;
