import type Mail from 'nodemailer/lib/mailer/index.js';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import * as openpgp from 'openpgp';

// Keys and messages as a reporter's mail client would make them, built with nodemailer and
// OpenPGP.js. Dates sit just before the test clock's start (ManualClock: 2026-03-02T09:00Z), since
// signatures and keys are judged at the clock's time.

export const KEY_DATE = new Date('2026-03-01T00:00:00.000Z');
export const SIGN_DATE = new Date('2026-03-02T08:00:00.000Z');

export interface TestKey {
  privateKey: openpgp.PrivateKey;
  publicKey: openpgp.PublicKey;
  armoredPrivate: string;
  armoredPublic: string;
  fingerprint: string;
}

export async function makeKey(
  name: string,
  email: string,
  options: { passphrase?: string; date?: Date; keyExpirationTime?: number } = {},
): Promise<TestKey> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name, email }],
    date: options.date ?? KEY_DATE,
    format: 'object',
    ...(options.passphrase ? { passphrase: options.passphrase } : {}),
    ...(options.keyExpirationTime ? { keyExpirationTime: options.keyExpirationTime } : {}),
  });
  return {
    privateKey,
    publicKey,
    armoredPrivate: privateKey.armor(),
    armoredPublic: publicKey.armor(),
    fingerprint: publicKey.getFingerprint(),
  };
}

function build(node: MimeNode): Promise<Buffer> {
  return new Promise((resolve, reject) => node.build((err, out) => (err ? reject(err) : resolve(out))));
}

/** A whole message as nodemailer composes it. */
export function compose(options: Mail.Options): Promise<Buffer> {
  return build(new MailComposer({ date: SIGN_DATE, ...options }).compile());
}

/** The MIME entity of a message without its message headers: what a client encrypts or signs. */
export async function entityOf(options: Mail.Options): Promise<Buffer> {
  const raw = (await compose(options)).toString('utf8');
  const split = raw.indexOf('\r\n\r\n');
  const kept = raw
    .slice(0, split)
    .split(/\r\n(?![ \t])/)
    .filter((line) => /^content-/i.test(line));
  return Buffer.from(`${kept.join('\r\n')}\r\n\r\n${raw.slice(split + 4)}`, 'utf8');
}

export const crlf = (bytes: Buffer) => Buffer.from(bytes.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

type Headers = Record<string, string>;

async function envelopeNode(type: string, headers: Headers): Promise<MimeNode> {
  const root = new MimeNode(type);
  root.setHeader({ Date: SIGN_DATE.toUTCString(), ...headers });
  return root;
}

/** RFC 3156 section 4 (with the signature inside the encryption when `signWith` is given). */
export async function pgpMimeEncrypted(options: {
  headers: Headers;
  entity: Buffer;
  to: openpgp.PublicKey;
  signWith?: openpgp.PrivateKey;
  /** When the client encrypts (and signs); SIGN_DATE unless given. */
  date?: Date;
}): Promise<Buffer> {
  const armored = await openpgp.encrypt({
    message: await openpgp.createMessage({ binary: crlf(options.entity) }),
    encryptionKeys: options.to,
    ...(options.signWith ? { signingKeys: options.signWith } : {}),
    date: options.date ?? SIGN_DATE,
  });
  const root = await envelopeNode('multipart/encrypted; protocol="application/pgp-encrypted"', options.headers);
  const version = root.createChild('application/pgp-encrypted');
  version.setHeader('Content-Transfer-Encoding', '7bit');
  version.setContent('Version: 1\r\n');
  const payload = root.createChild('application/octet-stream; name="encrypted.asc"');
  payload.setHeader({ 'Content-Disposition': 'inline; filename="encrypted.asc"', 'Content-Transfer-Encoding': '7bit' });
  payload.setContent(armored);
  return build(root);
}

/** RFC 3156 section 5: a detached signature over the first part's exact bytes (CRLF). */
export async function pgpMimeSigned(options: {
  headers: Headers;
  entity: Buffer;
  signWith: openpgp.PrivateKey;
}): Promise<Buffer> {
  const signed = crlf(options.entity);
  const signature = await openpgp.sign({
    message: await openpgp.createMessage({ binary: signed }),
    signingKeys: options.signWith,
    detached: true,
    date: SIGN_DATE,
  });
  const root = await envelopeNode(
    'multipart/signed; micalg=pgp-sha512; protocol="application/pgp-signature"',
    options.headers,
  );
  root.createChild('text/plain').setRaw(signed);
  const part = root.createChild('application/pgp-signature; name="signature.asc"');
  part.setHeader({ 'Content-Description': 'OpenPGP digital signature', 'Content-Transfer-Encoding': '7bit' });
  part.setContent(signature);
  return build(root);
}

/** An armored message encrypted to `to`, as an inline PGP body carries it. */
export async function armoredTo(text: string, to: openpgp.PublicKey, signWith?: openpgp.PrivateKey): Promise<string> {
  return openpgp.encrypt({
    message: await openpgp.createMessage({ text }),
    encryptionKeys: to,
    ...(signWith ? { signingKeys: signWith } : {}),
    date: SIGN_DATE,
  });
}

export async function clearSigned(text: string, signWith: openpgp.PrivateKey): Promise<string> {
  return openpgp.sign({
    message: await openpgp.createCleartextMessage({ text }),
    signingKeys: signWith,
    date: SIGN_DATE,
  });
}

/** The Autocrypt header value for `key` (autocrypt.org level 1); nodemailer folds it at the spaces. */
export function autocryptHeader(address: string, key: openpgp.PublicKey): string {
  const chunks =
    Buffer.from(key.write())
      .toString('base64')
      .match(/.{1,72}/g) ?? [];
  return `addr=${address}; prefer-encrypt=mutual; keydata=${chunks.join(' ')}`;
}
