import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/types.js';
import type { DependentsNotifier } from './domain/release/dependents.js';
import type { Logger } from './logger.js';
import type { MailTransport } from './mail/transport.js';

/** Everything the app needs from the outside world, built once in main.ts (or a test) and passed down. */
export interface Deps {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  mail: MailTransport;
  /** HMAC key for CSRF tokens (see domain/instance). */
  secret: Buffer;
  /** Tells an in-process worker that jobs were just enqueued; a no-op in web-only processes. */
  wakeWorker: () => void;
  /** Who tells the projects depending on a published case's packages (the go's dependents hook). */
  dependents: readonly DependentsNotifier[];
}
