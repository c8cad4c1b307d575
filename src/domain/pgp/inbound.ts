import type { DbOrTrx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { header, parseEntity } from './mime-tree.js';
import { loadProjectPrivateKey } from './pgp-keys.service.js';
import { reporterKeysOf } from './pgp.repository.js';
import { addressOf } from './sender-keys.js';
import { PgpUnwrapError, type Unwrapped, unwrapPgp } from './unwrap.js';

export { PgpUnwrapError } from './unwrap.js';

/**
 * The first step of reading mail sent to a project: decrypts it with the project's key and checks
 * its signatures, also against the keys the same address sent with its earlier reports (so a
 * reporter's signed reply verifies without attaching the key again). Throws PgpUnwrapError when
 * encrypted content cannot be decrypted here.
 */
export async function unwrapInbound(
  deps: Pick<Deps, 'secret' | 'clock' | 'config'> & { db: DbOrTrx },
  input: { raw: Buffer; projectId: string | null; givenKeys?: string[] },
): Promise<Unwrapped> {
  const privateKey = input.projectId ? await loadProjectPrivateKey(deps.db, deps, input.projectId) : null;
  const sender = senderOf(input.raw);
  const knownSenderKeys =
    input.projectId && sender ? await reporterKeysOf(deps.db, { projectId: input.projectId, email: sender }) : [];
  return unwrapPgp({
    raw: input.raw,
    privateKey,
    knownSenderKeys,
    ...(input.givenKeys ? { givenKeys: input.givenKeys } : {}),
    date: deps.clock.now(),
    // All decrypted content together may not outgrow what the listener accepts as a message.
    maxBytes: deps.config.mailIn.maxMessageBytes,
  });
}

/** A message too broken to find its sender in is quarantined like any unreadable one, not retried. */
function senderOf(raw: Buffer): string | null {
  try {
    return addressOf(header(parseEntity(raw), 'from'));
  } catch (err) {
    throw new PgpUnwrapError(`could not read the message (${err instanceof Error ? err.message : String(err)})`);
  }
}
