import * as openpgp from 'openpgp';
import type { DbOrTrx } from '../../db/types.js';
import type { Deps } from '../../deps.js';
import { getProjectKey, loadProjectPrivateKey } from '../pgp/pgp-keys.service.js';

// OpenPGP signatures of the public files with the project's key: the cleartext-signed security.txt
// (RFC 9116 section 3) and the detached `.asc` of each CSAF document (CSAF 2.0 requirement 19).
// Each file changes only with its content, so a signature is made once per content and key and
// kept in the app's cache: a public URL must not cost a signature per request.

/** Signatures by key fingerprint, kind and content; one per app. */
export type SignatureCache = Map<string, string>;
const CACHE_SIZE = 500;

type SignDeps = Pick<Deps, 'clock' | 'secret'>;

async function cachedSign(
  db: DbOrTrx,
  deps: SignDeps,
  input: { projectId: string; text: string; kind: 'cleartext' | 'detached'; cache: SignatureCache },
): Promise<string | null> {
  const key = await getProjectKey(db, input.projectId);
  if (!key) return null;
  const cacheKey = `${key.fingerprint}\n${input.kind}\n${input.text}`;
  const cached = input.cache.get(cacheKey);
  if (cached !== undefined) return cached;
  const signingKeys = await loadProjectPrivateKey(db, deps, input.projectId);
  if (!signingKeys) return null;
  const date = deps.clock.now();
  const signature =
    input.kind === 'cleartext'
      ? await openpgp.sign({ message: await openpgp.createCleartextMessage({ text: input.text }), signingKeys, date })
      : await openpgp.sign({
          message: await openpgp.createMessage({ binary: new TextEncoder().encode(input.text) }),
          signingKeys,
          detached: true,
          date,
        });
  if (input.cache.size >= CACHE_SIZE) input.cache.delete(input.cache.keys().next().value ?? '');
  input.cache.set(cacheKey, signature);
  return signature;
}

/** `text` as an OpenPGP cleartext-signed message, or null when the project has no key. */
export function cleartextSigned(
  db: DbOrTrx,
  deps: SignDeps,
  input: { projectId: string; text: string; cache: SignatureCache },
): Promise<string | null> {
  return cachedSign(db, deps, { ...input, kind: 'cleartext' });
}

/** An armored detached signature of `text`'s UTF-8 bytes, or null when the project has no key. */
export function detachedSignature(
  db: DbOrTrx,
  deps: SignDeps,
  input: { projectId: string; text: string; cache: SignatureCache },
): Promise<string | null> {
  return cachedSign(db, deps, { ...input, kind: 'detached' });
}
