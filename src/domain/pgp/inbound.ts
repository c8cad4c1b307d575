import type { DbOrTrx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { header, parseEntity } from './mime-tree.js';
import { loadProjectPrivateKey } from './pgp-keys.service.js';
import { reporterKeysOf } from './pgp.repository.js';
import { addressOf } from './sender-keys.js';
import { type Unwrapped, unwrapPgp } from './unwrap.js';

export { PgpUnwrapError } from './unwrap.js';

/**
 * The first step of reading mail sent to a project: decrypts it with the project's key and checks
 * its signatures, also against the keys the same address sent with its earlier reports (so a
 * reporter's signed reply verifies without attaching the key again). Throws PgpUnwrapError when
 * encrypted content cannot be decrypted here.
 */
export async function unwrapInbound(
  deps: Pick<Deps, 'secret' | 'clock' | 'config'> & { db: DbOrTrx },
  input: { raw: Buffer; projectId: string | null },
): Promise<Unwrapped> {
  const privateKey = input.projectId ? await loadProjectPrivateKey(deps.db, deps, input.projectId) : null;
  const sender = addressOf(header(parseEntity(input.raw), 'from'));
  const knownSenderKeys =
    input.projectId && sender ? await reporterKeysOf(deps.db, { projectId: input.projectId, email: sender }) : [];
  return unwrapPgp({
    raw: input.raw,
    privateKey,
    knownSenderKeys,
    date: deps.clock.now(),
    // Decrypted content may not outgrow what the listener accepts as a message.
    maxBytes: deps.config.mailIn.maxMessageBytes,
  });
}
