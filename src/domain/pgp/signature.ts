import type * as openpgp from 'openpgp';
import type { SignatureCheck, SignatureKeySource } from './pgp.js';

type Verification = Awaited<ReturnType<typeof openpgp.verify>>['signatures'][number];

async function userIdOf(key: openpgp.PublicKey, date: Date | undefined): Promise<string | null> {
  try {
    return (await key.getPrimaryUser(date)).user.userID?.userID ?? null;
  } catch {
    return key.getUserIDs()[0] ?? null;
  }
}

/**
 * What the signatures OpenPGP.js found prove. A signature by a key we do not hold is only
 * `unverified`; one that fails against a key we hold is `invalid`, and an invalid signature
 * outweighs a good one beside it: the team should look twice at such a message.
 */
export async function checkSignatures(
  results: readonly Verification[],
  keys: readonly openpgp.PublicKey[],
  date: Date | undefined,
  sources: ReadonlyMap<string, SignatureKeySource> = new Map(),
): Promise<SignatureCheck | null> {
  const checks: SignatureCheck[] = [];
  for (const result of results) {
    const keyId = result.keyID.toHex();
    const key = keys.find((k) => k.getKeys(result.keyID).length > 0);
    try {
      await result.verified;
      if (!key) throw new Error('no key');
      const fingerprint = key.getFingerprint();
      const keySource = sources.get(fingerprint);
      checks.push({
        status: 'verified',
        fingerprint,
        userId: await userIdOf(key, date),
        ...(keySource ? { keySource } : {}),
      });
    } catch (err) {
      checks.push(
        key
          ? { status: 'invalid', keyId, reason: err instanceof Error ? err.message : String(err) }
          : { status: 'unverified', keyId },
      );
    }
  }
  return strongest(checks);
}

/** One check for a message with several signed layers: invalid, else verified, else unverified. */
export function strongest(checks: readonly (SignatureCheck | null)[]): SignatureCheck | null {
  const present = checks.filter((c): c is SignatureCheck => c !== null);
  return (
    present.find((c) => c.status === 'invalid') ?? present.find((c) => c.status === 'verified') ?? present[0] ?? null
  );
}

/** A signature that could not even be read (a mangled signature part) counts as invalid. */
export function unreadableSignature(err: unknown): SignatureCheck {
  return { status: 'invalid', keyId: null, reason: err instanceof Error ? err.message : String(err) };
}
