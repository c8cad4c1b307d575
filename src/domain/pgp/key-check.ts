import * as openpgp from 'openpgp';
import { DomainError } from '../../errors.js';

// Checks of a project key before it is stored. Messages are fixed sentences: an OpenPGP.js error
// message could quote the key, and nothing of a private key may reach a page or a log.

/** Far above any real key (an RSA-4096 key with subkeys is ~15 KB armored). */
const MAX_ARMORED = 200_000;

const invalid = (field: string, message: string) => new DomainError('VALIDATION_FAILED', message, { field });

async function isPublicKey(armored: string): Promise<boolean> {
  try {
    return !(await openpgp.readKey({ armoredKey: armored })).isPrivate();
  } catch {
    return false;
  }
}

/**
 * The uploaded private key, unlocked with `passphrase` when it is protected. Refused with
 * VALIDATION_FAILED: a public key, a locked key without the right passphrase, a key that is
 * expired, revoked or not valid yet at `date`, and a key that cannot decrypt (no encryption subkey,
 * or only a stub of it, as `gpg --export-secret-subkeys` may leave).
 */
export async function readUploadedKey(armored: string, passphrase: string, date: Date): Promise<openpgp.PrivateKey> {
  const text = armored.trim();
  if (!text) throw invalid('armoredKey', 'Paste the armored private key.');
  if (text.length > MAX_ARMORED) throw invalid('armoredKey', 'This is too large to be one OpenPGP key.');
  let key: openpgp.PrivateKey;
  try {
    key = await openpgp.readPrivateKey({ armoredKey: text });
  } catch {
    throw invalid(
      'armoredKey',
      (await isPublicKey(text))
        ? 'This is a public key. Upload the private key: the server needs it to decrypt what reporters send.'
        : 'This is not an armored OpenPGP private key (-----BEGIN PGP PRIVATE KEY BLOCK-----).',
    );
  }
  if (!key.isDecrypted()) {
    if (!passphrase) throw invalid('passphrase', 'The key is protected by a passphrase: enter it.');
    try {
      key = await openpgp.decryptKey({ privateKey: key, passphrase });
    } catch {
      throw invalid('passphrase', 'The passphrase does not unlock the key.');
    }
  }
  try {
    await key.verifyPrimaryKey(date);
  } catch {
    throw invalid('armoredKey', 'The key is expired, revoked or not valid yet.');
  }
  try {
    const encryption = await key.getEncryptionKey(undefined, date);
    const decryption = await key.getDecryptionKeys(encryption.getKeyID(), date);
    if (!decryption.some((k) => k.isDecrypted())) throw new Error('stub');
  } catch {
    throw invalid('armoredKey', 'The key has no usable encryption subkey, so reporters could not encrypt to it.');
  }
  return key;
}

/**
 * A new key pair made on the server: Ed25519 for signing and Curve25519 for encryption, in the
 * classic (v4, "legacy" algorithm ids) form that GnuPG 2.2 and every mail client read.
 */
export async function generateKeyPair(options: {
  name: string;
  email: string | null;
  date: Date;
}): Promise<openpgp.PrivateKey> {
  const userID = options.email ? { name: options.name, email: options.email } : { name: options.name };
  const { privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [userID],
    date: options.date,
    format: 'object',
  });
  return privateKey;
}
