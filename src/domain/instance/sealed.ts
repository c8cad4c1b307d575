import crypto from 'node:crypto';

// Secrets Embargo must be able to read back (a project's OpenPGP private key, an IMAP password)
// are sealed with AES-256-GCM under a key derived from the server key (EMBARGO_SECRET, or the one
// generated into the database when it is unset: set EMBARGO_SECRET to keep the key outside the
// database, so a copy of the database alone does not open them).

const VERSION = 'v1';

function keyFrom(serverKey: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', serverKey, Buffer.alloc(0), 'embargo sealed secrets v1', 32));
}

/** Encrypts and authenticates `plaintext`; `context` (e.g. "pgp:<projectId>") binds it to its owner. */
export function seal(serverKey: Buffer, plaintext: string, context: string): string {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', keyFrom(serverKey), iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
}

/** Opens a sealed value; throws when the key, the context or the bytes are not the ones it was sealed with. */
export function unseal(serverKey: Buffer, sealed: string, context: string): string {
  const [version, iv, tag, body] = sealed.split(':');
  if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('not a sealed value');
  const decipher = crypto.createDecipheriv('aes-256-gcm', keyFrom(serverKey), Buffer.from(iv, 'base64'));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
}
