import * as openpgp from 'openpgp';
import { bodyText, header, isAttachment, type MimeEntity } from './mime-tree.js';

// The reporter's public key travels with their mail: as an application/pgp-keys attachment
// (Thunderbird's "attach my public key"), or in an Autocrypt header (RFC-like spec at
// autocrypt.org, sent by Thunderbird, K-9, Delta Chat and others).

/** A key part larger than this is not a single person's public key. */
const MAX_KEY_BYTES = 256 * 1024;
const KEY_BLOCK = '-----BEGIN PGP PUBLIC KEY BLOCK-----';

/**
 * The public part of `key` when replies can be encrypted to it at `date`, else null: a key that
 * is expired, revoked or has no encryption subkey would make every reply to its owner fail.
 */
export async function usablePublicKey(key: openpgp.Key, date: Date | undefined): Promise<openpgp.PublicKey | null> {
  const publicKey = key.toPublic();
  try {
    await publicKey.getEncryptionKey(undefined, date);
    return publicKey;
  } catch {
    return null;
  }
}

/** Reads armored public keys; anything unreadable is skipped (a reporter's mistake must not lose their report). */
export async function readArmoredKeys(armored: readonly string[]): Promise<openpgp.PublicKey[]> {
  const keys: openpgp.PublicKey[] = [];
  for (const text of armored) {
    try {
      keys.push(...(await openpgp.readKeys({ armoredKeys: text })).map((k) => k.toPublic()));
    } catch {
      // Not a key: nothing to verify with.
    }
  }
  return keys;
}

/** The address in a From header value (`Name <a@b>` or `a@b`), lower case. */
export function addressOf(from: string | undefined): string | null {
  const match = /<([^<>\s]+@[^<>\s]+)>/.exec(from ?? '') ?? /([^<>\s",;]+@[^<>\s",;]+)/.exec(from ?? '');
  return match?.[1]?.toLowerCase() ?? null;
}

/** The key of the message's Autocrypt header, when its `addr` is the sender's (as the Autocrypt spec requires). */
export async function autocryptKey(message: MimeEntity): Promise<openpgp.PublicKey | null> {
  const value = header(message, 'autocrypt');
  if (!value) return null;
  const attributes = new Map<string, string>();
  for (const pair of value.split(';')) {
    const eq = pair.indexOf('=');
    if (eq > 0) attributes.set(pair.slice(0, eq).trim().toLowerCase(), pair.slice(eq + 1).trim());
  }
  const addr = attributes.get('addr')?.toLowerCase();
  const keydata = attributes.get('keydata')?.replace(/\s+/g, '');
  if (!addr || !keydata || addr !== addressOf(header(message, 'from'))) return null;
  try {
    return (await openpgp.readKey({ binaryKey: Buffer.from(keydata, 'base64') })).toPublic();
  } catch {
    return null;
  }
}

/** The armored keys attached anywhere in `entity` (application/pgp-keys parts, or .asc files holding a key). */
export function attachedKeyTexts(entity: MimeEntity): string[] {
  if (entity.parts) return entity.parts.flatMap(attachedKeyTexts);
  // Encoded size: a large attachment is not decoded just to find it holds no key.
  if (entity.body.length > MAX_KEY_BYTES) return [];
  if (entity.type === 'application/pgp-keys') return [bodyText(entity)];
  if (isAttachment(entity) && bodyText(entity).trimStart().startsWith(KEY_BLOCK)) return [bodyText(entity)];
  return [];
}
