import * as openpgp from 'openpgp';

/**
 * Encrypts a MIME entity to the recipient's key (and signs it with the project's key when it has
 * one), as the armored payload of a PGP/MIME message. Throws when the key cannot be encrypted to
 * (expired or revoked since it was kept): the email then fails and is retried or parked, never
 * sent in the clear to someone who asked for encryption.
 */
export async function encryptEntity(options: {
  entity: Buffer;
  recipientKey: string;
  signingKey: openpgp.PrivateKey | null;
  date: Date;
}): Promise<string> {
  try {
    const recipient = await openpgp.readKey({ armoredKey: options.recipientKey });
    return await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: options.entity }),
      encryptionKeys: recipient,
      ...(options.signingKey ? { signingKeys: options.signingKey } : {}),
      date: options.date,
      format: 'armored',
    });
  } catch (err) {
    throw new Error(
      `could not encrypt to the reporter's OpenPGP key: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
