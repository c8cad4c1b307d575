import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/types.js';
import type { Deps } from './deps.js';
import { instanceSecret } from './domain/instance/instance.service.js';
import type { Logger } from './logger.js';
import { registeredDependents } from './domain/scan/dependents-notifier.js';
import { createMailTransport, type MailTransport } from './mail/transport.js';

/** The composition root: turns configuration and a connected database into Deps. */
export async function buildDeps(options: {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  mail?: MailTransport;
}): Promise<Deps> {
  return {
    config: options.config,
    db: options.db,
    clock: options.clock,
    logger: options.logger,
    mail: options.mail ?? createMailTransport(options.config.smtpUrl),
    secret: await instanceSecret(options.db, options.clock, options.config.secret),
    wakeWorker: () => {},
    dependents: [registeredDependents],
  };
}
