import * as openpgp from 'openpgp';
import { messageAround, multipart, textPart } from './mime-build.js';
import { bodyText, crlf, isAttachment, type MimeEntity, parseEntity } from './mime-tree.js';
import type { SignatureCheck, SignatureKeySource } from './pgp.js';
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
  /** Armored public keys the caller vouches for (e.g. the key kept on the report); trusted first. */
  givenKeys?: string[];
  /** When signatures and keys are judged; the caller's clock. */
  date?: Date;
  /** The most ALL decrypted (and decompressed) content of the message may add up to; 100 MiB unless given. */
  maxBytes?: number;
}

export interface Unwrapped {
  /** The message as mailparser should read it: decrypted, signature layers removed. */
  raw: Buffer;
  encrypted: boolean;
  /** A verified signature carries the key's fingerprint and `keySource`, where that key came from. */
  signature: SignatureCheck | null;
  /** The sender's armored public key (public part only), to encrypt replies to, when one is known. */
  senderKey: string | null;
  /** Signed, but some of the text or attachments sit outside every signed part (e.g. around an inline block). */
  partlySigned: boolean;
  /** Encrypted, but some of the text or attachments sit outside every encrypted part. */
  partlyEncrypted: boolean;
}

/** Where a piece of content (text outside or inside a block, an attachment) sits. */
interface Scope {
  encrypted: boolean;
  signed: boolean;
}

interface Pass {
  privateKey: openpgp.PrivateKey | null;
  config: Partial<openpgp.Config>;
  keys: openpgp.PublicKey[];
  sources: ReadonlyMap<string, SignatureKeySource>;
  date: Date | undefined;
  encrypted: boolean;
  checks: (SignatureCheck | null)[];
  /** Armored keys found inside decrypted content (only readable once decrypted). */
  foundInside: string[];
  layers: number;
  /** Decrypted bytes the rest of the message may still produce: one budget for all layers and blocks. */
  left: number;
  limit: number;
  /** The scope of each non-empty piece of content, to tell a partly signed or encrypted message. */
  pieces: Scope[];
}

/** Counts a PGP/MIME layer or an inline block: each costs a decryption or a verification. */
function enterLayer(pass: Pass): void {
  pass.layers += 1;
  if (pass.layers > MAX_LAYERS) throw new PgpUnwrapError('the message nests too many OpenPGP layers');
}

function tooLarge(pass: Pass): PgpUnwrapError {
  return new PgpUnwrapError(`the decrypted content exceeds the limit of ${pass.limit} bytes`);
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

function noteText(pass: Pass, scope: Scope, text: string): void {
  if (/\S/.test(text)) pass.pieces.push(scope);
}

/** An entity's replacement; `unwrapped` when it is the content of a PGP/MIME layer rather than the entity rewritten. */
interface Change {
  bytes: Buffer;
  unwrapped: boolean;
}

const NO_KEY = 'encrypted, but the project has no private key';
/**
 * PGP/MIME layers and inline blocks in one message. Real mail has two at most (signed inside
 * encrypted); anyone can encrypt to the project's public key, so without a bound a message could
 * nest or repeat thousands.
 */
const MAX_LAYERS = 8;
const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
const RERUN_SLACK = 1024 * 1024;
const ARMORED_MESSAGE = /(?<=^|\n)-----BEGIN PGP MESSAGE-----\r?\n[\s\S]*?\n-----END PGP MESSAGE-----/g;
const CLEARSIGNED = /(?<=^|\n)-----BEGIN PGP SIGNED MESSAGE-----\r?\n[\s\S]*?\n-----END PGP SIGNATURE-----/g;
const TOPLEVEL: Scope = { encrypted: false, signed: false };

/**
 * Decrypts one armored message within what is left of the budget: openpgp stops inflating a
 * compressed packet past `maxDecompressedMessageSize` (a few KB can inflate to gigabytes), and an
 * uncompressed payload, no larger than its ciphertext, is counted once read.
 */
async function decrypt(
  pass: Pass,
  armored: string,
  format: 'binary' | 'utf8',
): Promise<{ data: Uint8Array | string; signed: boolean }> {
  if (!pass.privateKey) throw new PgpUnwrapError(NO_KEY);
  let result: openpgp.DecryptMessageResult;
  try {
    const message = await openpgp.readMessage({ armoredMessage: armored, config: pass.config });
    result = await openpgp.decrypt({
      message,
      config: { ...pass.config, maxDecompressedMessageSize: pass.left },
      decryptionKeys: pass.privateKey,
      verificationKeys: pass.keys,
      date: pass.date,
      format,
    });
  } catch (err) {
    if (/maximum decompressed message size/i.test(messageOf(err))) throw tooLarge(pass);
    throw new PgpUnwrapError(`could not decrypt (${messageOf(err)})`);
  }
  const data = result.data as Uint8Array | string;
  pass.left -= typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
  if (pass.left < 0) throw tooLarge(pass);
  pass.encrypted = true;
  pass.checks.push(await checkSignatures(result.signatures, pass.keys, pass.date, pass.sources));
  return { data, signed: result.signatures.length > 0 };
}

/** RFC 3156 section 4: the second part carries the armored message, whose plaintext is a MIME entity. */
async function pgpMimeEncrypted(pass: Pass, entity: MimeEntity, scope: Scope): Promise<Change> {
  enterLayer(pass);
  const payload = entity.parts?.[1];
  if (!payload) throw new PgpUnwrapError('malformed PGP/MIME message (no encrypted part)');
  const { data, signed } = await decrypt(pass, bodyText(payload), 'binary');
  const plain =
    typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const inner = parseEntity(plain);
  pass.foundInside.push(...attachedKeyTexts(inner));
  const change = await transform(pass, inner, { encrypted: true, signed: scope.signed || signed });
  return { bytes: change?.bytes ?? plain, unwrapped: true };
}

/** RFC 3156 section 5: the detached signature covers the first part's exact bytes, with CRLF line breaks. */
async function pgpMimeSigned(pass: Pass, entity: MimeEntity, scope: Scope): Promise<Change | null> {
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
    pass.checks.push(await checkSignatures(result.signatures, pass.keys, pass.date, pass.sources));
  } catch (err) {
    pass.checks.push(unreadableSignature(err));
  }
  const change = await transform(pass, signed, { ...scope, signed: true });
  return { bytes: change?.bytes ?? signed.raw, unwrapped: true };
}

/** `text` cut into the matches of `re` (`block`) and the text between them. */
function* segments(text: string, re: RegExp): Generator<{ text: string; block: boolean }> {
  let last = 0;
  for (const match of text.matchAll(re)) {
    yield { text: text.slice(last, match.index), block: false };
    yield { text: match[0], block: true };
    last = match.index + match[0].length;
  }
  yield { text: text.slice(last), block: false };
}

/** Clear-signed blocks in `text` verified and replaced by their text. */
async function clearSignedIn(pass: Pass, text: string, scope: Scope): Promise<{ text: string; changed: boolean }> {
  let out = '';
  let changed = false;
  for (const segment of segments(text, CLEARSIGNED)) {
    if (!segment.block) {
      noteText(pass, scope, segment.text);
      out += segment.text;
      continue;
    }
    enterLayer(pass);
    changed = true;
    let kept = segment.text;
    try {
      const message = await openpgp.readCleartextMessage({ cleartextMessage: segment.text });
      const result = await openpgp.verify({ message, verificationKeys: pass.keys, date: pass.date });
      pass.checks.push(await checkSignatures(result.signatures, pass.keys, pass.date, pass.sources));
      kept = message.getText();
    } catch (err) {
      pass.checks.push(unreadableSignature(err));
    }
    noteText(pass, { ...scope, signed: true }, kept);
    out += kept;
  }
  return { text: out, changed };
}

/** Inline PGP in a text body: armored messages are decrypted, clear-signed text is verified and unwrapped. */
async function inline(pass: Pass, entity: MimeEntity, scope: Scope): Promise<Change | null> {
  const text = bodyText(entity);
  if (!text.includes('-----BEGIN PGP ')) {
    noteText(pass, scope, text);
    return null;
  }
  let changed = false;
  let out = '';
  for (const segment of segments(text, ARMORED_MESSAGE)) {
    if (!segment.block) {
      const plain = await clearSignedIn(pass, segment.text, scope);
      changed ||= plain.changed;
      out += plain.text;
      continue;
    }
    enterLayer(pass);
    changed = true;
    const { data, signed } = await decrypt(pass, segment.text, 'utf8');
    out += (await clearSignedIn(pass, String(data), { encrypted: true, signed: scope.signed || signed })).text;
  }
  return changed ? { bytes: textPart(entity, out), unwrapped: false } : null;
}

async function transform(pass: Pass, entity: MimeEntity, scope: Scope): Promise<Change | null> {
  if (entity.type === 'multipart/encrypted') return pgpMimeEncrypted(pass, entity, scope);
  if (entity.type === 'multipart/signed' && entity.params.protocol?.toLowerCase() === 'application/pgp-signature') {
    return pgpMimeSigned(pass, entity, scope);
  }
  if (entity.parts) return multipartOf(pass, entity, entity.parts, scope);
  if (entity.type === 'text/plain' && !isAttachment(entity)) return inline(pass, entity, scope);
  // A public key sent along is not content whose protection the team needs to know about.
  if (attachedKeyTexts(entity).length === 0) noteText(pass, scope, entity.body.toString('latin1'));
  return null;
}

async function multipartOf(pass: Pass, entity: MimeEntity, parts: MimeEntity[], scope: Scope): Promise<Change | null> {
  const changes: (Change | null)[] = [];
  const firstPiece: number[] = [];
  for (const part of parts) {
    firstPiece.push(pass.pieces.length);
    changes.push(await transform(pass, part, scope));
  }
  if (changes.every((c) => c === null)) return null;
  // Once the plain text alternative is decrypted, an HTML one would still show the ciphertext.
  const textRewritten =
    entity.type === 'multipart/alternative' && parts.some((p, i) => changes[i] && p.type === 'text/plain');
  const dropped = parts.map((part, i) => textRewritten && part.type === 'text/html' && !changes[i]);
  for (let i = parts.length - 1; i >= 0; i--) {
    const from = firstPiece[i] ?? 0;
    if (dropped[i]) pass.pieces.splice(from, (firstPiece[i + 1] ?? pass.pieces.length) - from);
  }
  const kept = parts.flatMap((part, i) => (dropped[i] ? [] : [changes[i]?.bytes ?? part.raw]));
  return { bytes: multipart(entity, kept), unwrapped: false };
}

interface Keys {
  list: openpgp.PublicKey[];
  sources: Map<string, SignatureKeySource>;
}

/** Keys in order of trust: when two share a key id, the more trusted one is tried. */
function keyring(groups: [SignatureKeySource, openpgp.PublicKey[]][]): Keys {
  const sources = new Map<string, SignatureKeySource>();
  const list: openpgp.PublicKey[] = [];
  for (const [source, keys] of groups) {
    for (const key of keys) {
      if (!sources.has(key.getFingerprint())) sources.set(key.getFingerprint(), source);
      list.push(key);
    }
  }
  return { list, sources };
}

async function run(message: MimeEntity, input: UnwrapInput, keys: Keys, budget: number) {
  const pass: Pass = {
    privateKey: input.privateKey,
    config: {},
    keys: keys.list,
    sources: keys.sources,
    date: input.date,
    encrypted: false,
    checks: [],
    foundInside: [],
    layers: 0,
    left: budget,
    limit: input.maxBytes ?? DEFAULT_MAX_BYTES,
    pieces: [],
  };
  const change = await transform(pass, message, TOPLEVEL);
  return { pass, change };
}

/**
 * Decrypts and unwraps an inbound message: PGP/MIME encrypted (RFC 3156 section 4), signed
 * (section 5), both (signature inside the encryption, or a signed entity inside it), and inline PGP
 * in text bodies. Throws PgpUnwrapError when the message cannot be read here, whatever the cause
 * (a crafted message must be quarantined, not retried).
 */
export async function unwrapPgp(input: UnwrapInput): Promise<Unwrapped> {
  try {
    return await unwrapOnce(input);
  } catch (err) {
    if (err instanceof PgpUnwrapError) throw err;
    throw new PgpUnwrapError(`could not read the message (${messageOf(err)})`);
  }
}

async function unwrapOnce(input: UnwrapInput): Promise<Unwrapped> {
  const message = parseEntity(input.raw);
  const autocrypt = await autocryptKey(message);
  const attached = await readArmoredKeys(attachedKeyTexts(message));
  const inMessage = [...(autocrypt ? [autocrypt] : []), ...attached];
  const given = await readArmoredKeys(input.givenKeys ?? []);
  const known = await readArmoredKeys(input.knownSenderKeys);
  const groups: [SignatureKeySource, openpgp.PublicKey[]][] = [
    ['given', given],
    ['earlier-report', known],
    ['autocrypt', autocrypt ? [autocrypt] : []],
    ['attached', attached],
  ];
  const budget = input.maxBytes ?? DEFAULT_MAX_BYTES;
  let { pass, change } = await run(message, input, keyring(groups), budget);
  // A key attached inside the encrypted part is only seen after decrypting: verify again with it.
  // The second pass repeats the same decryptions, so it gets what the first one used (plus room for
  // the packet framing that openpgp's decompression limit counts and the plaintext count does not).
  const inside = await readArmoredKeys(pass.foundInside);
  if (inside.length > 0 && pass.checks.some((c) => c?.status === 'unverified')) {
    const used = budget - pass.left;
    change = null; // the first pass's output is garbage from here
    const again = Math.min(budget, used + RERUN_SLACK);
    ({ pass, change } = await run(message, input, keyring([...groups, ['attached', inside]]), again));
  }
  const signature = strongest(pass.checks);
  const sent = [...inside, ...inMessage];
  const signer =
    signature?.status === 'verified'
      ? [...sent, ...known, ...given].find((k) => k.getFingerprint() === signature.fingerprint)
      : undefined;
  // A key we already knew is worth keeping for replies when the sender trusted us with encryption.
  const chosen = signer ?? sent[0] ?? (pass.encrypted ? known[0] : undefined);
  const usable = chosen ? await usablePublicKey(chosen, input.date) : null;
  const raw = change ? crlf(change.unwrapped ? messageAround(message, change.bytes) : change.bytes) : input.raw;
  return {
    raw,
    encrypted: pass.encrypted,
    signature,
    senderKey: usable?.armor() ?? null,
    partlySigned: signature !== null && pass.pieces.some((p) => !p.signed),
    partlyEncrypted: pass.encrypted && pass.pieces.some((p) => !p.encrypted),
  };
}
