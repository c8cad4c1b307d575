import * as openpgp from 'openpgp';
import { messageAround, multipart, textPart } from './mime-build.js';
import { bodyText, crlf, isAttachment, type MimeEntity, parseEntity } from './mime-tree.js';
import type { SignatureCheck } from './pgp.js';
import { attachedKeyTexts, autocryptKey, readArmoredKeys, usablePublicKey } from './sender-keys.js';
import { checkSignatures, strongest, unreadableSignature } from './signature.js';

/**
 * An encrypted message that cannot be read here. The mail pipeline quarantines the message with
 * `reason` (shown to admins), so nothing sent to the project is lost.
 */
export class PgpUnwrapError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'PgpUnwrapError';
  }
}

export interface UnwrapInput {
  raw: Buffer;
  /** The project's unlocked private key, or null when it has none. */
  privateKey: openpgp.PrivateKey | null;
  /** Armored public keys already known for the sender (e.g. from their earlier reports). */
  knownSenderKeys: string[];
  /** When signatures and keys are judged; the caller's clock. */
  date?: Date;
  /** The most a decrypted (and decompressed) payload may grow to; 100 MiB unless given. */
  maxBytes?: number;
}

export interface Unwrapped {
  /** The message as mailparser should read it: decrypted, signature layers removed. */
  raw: Buffer;
  encrypted: boolean;
  signature: SignatureCheck | null;
  /** The sender's armored public key (public part only), to encrypt replies to, when one is known. */
  senderKey: string | null;
}

interface Pass {
  privateKey: openpgp.PrivateKey | null;
  config: Partial<openpgp.Config>;
  keys: openpgp.PublicKey[];
  date: Date | undefined;
  encrypted: boolean;
  checks: (SignatureCheck | null)[];
  /** Armored keys found inside decrypted content (only readable once decrypted). */
  foundInside: string[];
  layers: number;
}

function enterLayer(pass: Pass): void {
  pass.layers += 1;
  if (pass.layers > MAX_LAYERS) throw new PgpUnwrapError('the message nests too many OpenPGP layers');
}

/** An entity's replacement; `unwrapped` when it is the content of a PGP/MIME layer rather than the entity rewritten. */
interface Change {
  bytes: Buffer;
  unwrapped: boolean;
}

const NO_KEY = 'encrypted, but the project has no private key';
/**
 * PGP/MIME layers in one message. Real mail has two at most (signed inside encrypted); anyone can
 * encrypt to the project's public key, so without a bound a message could nest thousands.
 */
const MAX_LAYERS = 8;
const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
const ARMORED_MESSAGE = /(?<=^|\n)-----BEGIN PGP MESSAGE-----\r?\n[\s\S]*?\n-----END PGP MESSAGE-----/g;
const CLEARSIGNED = /(?<=^|\n)-----BEGIN PGP SIGNED MESSAGE-----\r?\n[\s\S]*?\n-----END PGP SIGNATURE-----/g;

async function decrypt(pass: Pass, armored: string, format: 'binary' | 'utf8'): Promise<Uint8Array | string> {
  if (!pass.privateKey) throw new PgpUnwrapError(NO_KEY);
  try {
    const message = await openpgp.readMessage({ armoredMessage: armored, config: pass.config });
    const result = await openpgp.decrypt({
      message,
      // A compressed packet of a few KB can inflate to gigabytes.
      config: pass.config,
      decryptionKeys: pass.privateKey,
      verificationKeys: pass.keys,
      date: pass.date,
      format,
    });
    pass.encrypted = true;
    pass.checks.push(await checkSignatures(result.signatures, pass.keys, pass.date));
    return result.data as Uint8Array | string;
  } catch (err) {
    if (err instanceof PgpUnwrapError) throw err;
    throw new PgpUnwrapError(`could not decrypt (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** RFC 3156 section 4: the second part carries the armored message, whose plaintext is a MIME entity. */
async function pgpMimeEncrypted(pass: Pass, entity: MimeEntity): Promise<Change> {
  enterLayer(pass);
  const payload = entity.parts?.[1];
  if (!payload) throw new PgpUnwrapError('malformed PGP/MIME message (no encrypted part)');
  const plain = Buffer.from(await decrypt(pass, bodyText(payload), 'binary'));
  const inner = parseEntity(plain);
  pass.foundInside.push(...attachedKeyTexts(inner));
  return { bytes: (await transform(pass, inner))?.bytes ?? plain, unwrapped: true };
}

/** RFC 3156 section 5: the detached signature covers the first part's exact bytes, with CRLF line breaks. */
async function pgpMimeSigned(pass: Pass, entity: MimeEntity): Promise<Change | null> {
  const [signed, signaturePart] = entity.parts ?? [];
  if (!signed || !signaturePart) return null;
  enterLayer(pass);
  try {
    const result = await openpgp.verify({
      message: await openpgp.createMessage({ binary: crlf(signed.raw) }),
      signature: await openpgp.readSignature({ armoredSignature: bodyText(signaturePart) }),
      verificationKeys: pass.keys,
      date: pass.date,
    });
    pass.checks.push(await checkSignatures(result.signatures, pass.keys, pass.date));
  } catch (err) {
    pass.checks.push(unreadableSignature(err));
  }
  return { bytes: (await transform(pass, signed))?.bytes ?? signed.raw, unwrapped: true };
}

async function replaceAsync(text: string, re: RegExp, fn: (block: string) => Promise<string>): Promise<string> {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(re)) {
    out += text.slice(last, match.index) + (await fn(match[0]));
    last = match.index + match[0].length;
  }
  return out + text.slice(last);
}

/** Inline PGP in a text body: armored messages are decrypted, clear-signed text is verified and unwrapped. */
async function inline(pass: Pass, entity: MimeEntity): Promise<Change | null> {
  const text = bodyText(entity);
  if (!text.includes('-----BEGIN PGP ')) return null;
  let changed = false;
  let out = await replaceAsync(text, ARMORED_MESSAGE, async (block) => {
    changed = true;
    return String(await decrypt(pass, block, 'utf8'));
  });
  out = await replaceAsync(out, CLEARSIGNED, async (block) => {
    changed = true;
    try {
      const message = await openpgp.readCleartextMessage({ cleartextMessage: block });
      const result = await openpgp.verify({ message, verificationKeys: pass.keys, date: pass.date });
      pass.checks.push(await checkSignatures(result.signatures, pass.keys, pass.date));
      return message.getText();
    } catch (err) {
      pass.checks.push(unreadableSignature(err));
      return block;
    }
  });
  return changed ? { bytes: textPart(entity, out), unwrapped: false } : null;
}

async function transform(pass: Pass, entity: MimeEntity): Promise<Change | null> {
  if (entity.type === 'multipart/encrypted') return pgpMimeEncrypted(pass, entity);
  if (entity.type === 'multipart/signed' && entity.params.protocol?.toLowerCase() === 'application/pgp-signature') {
    return pgpMimeSigned(pass, entity);
  }
  if (entity.parts) {
    const changes: (Change | null)[] = [];
    for (const part of entity.parts) changes.push(await transform(pass, part));
    if (changes.every((c) => c === null)) return null;
    // Once the plain text alternative is decrypted, an HTML one would still show the ciphertext.
    const textRewritten =
      entity.type === 'multipart/alternative' && entity.parts.some((p, i) => changes[i] && p.type === 'text/plain');
    const parts = entity.parts.flatMap((part, i) =>
      textRewritten && part.type === 'text/html' && !changes[i] ? [] : [changes[i]?.bytes ?? part.raw],
    );
    return { bytes: multipart(entity, parts), unwrapped: false };
  }
  if (entity.type === 'text/plain' && !isAttachment(entity)) return inline(pass, entity);
  return null;
}

async function run(message: MimeEntity, input: UnwrapInput, keys: openpgp.PublicKey[]) {
  const pass: Pass = {
    privateKey: input.privateKey,
    config: { maxDecompressedMessageSize: input.maxBytes ?? DEFAULT_MAX_BYTES },
    keys,
    date: input.date,
    encrypted: false,
    checks: [],
    foundInside: [],
    layers: 0,
  };
  const change = await transform(pass, message);
  return { pass, change };
}

/**
 * Decrypts and unwraps an inbound message: PGP/MIME encrypted (RFC 3156 section 4), signed
 * (section 5), both (signature inside the encryption, or a signed entity inside it), and inline PGP
 * in text bodies. Throws PgpUnwrapError when encrypted content cannot be decrypted here.
 */
export async function unwrapPgp(input: UnwrapInput): Promise<Unwrapped> {
  const message = parseEntity(input.raw);
  const inMessage = [await autocryptKey(message), ...(await readArmoredKeys(attachedKeyTexts(message)))].filter(
    (k): k is openpgp.PublicKey => k !== null,
  );
  const known = await readArmoredKeys(input.knownSenderKeys);
  let keys = [...inMessage, ...known];
  let { pass, change } = await run(message, input, keys);
  // A key attached inside the encrypted part is only seen after decrypting: verify again with it.
  const inside = await readArmoredKeys(pass.foundInside);
  if (inside.length > 0 && pass.checks.some((c) => c?.status === 'unverified')) {
    keys = [...inside, ...keys];
    ({ pass, change } = await run(message, input, keys));
  }
  const signature = strongest(pass.checks);
  const sent = [...inside, ...inMessage];
  const signer =
    signature?.status === 'verified'
      ? [...sent, ...known].find((k) => k.getFingerprint() === signature.fingerprint)
      : undefined;
  // A key we already knew is worth keeping for replies when the sender trusted us with encryption.
  const chosen = signer ?? sent[0] ?? (pass.encrypted ? known[0] : undefined);
  const usable = chosen ? await usablePublicKey(chosen, input.date) : null;
  const raw = change ? crlf(change.unwrapped ? messageAround(message, change.bytes) : change.bytes) : input.raw;
  return { raw, encrypted: pass.encrypted, signature, senderKey: usable?.armor() ?? null };
}
