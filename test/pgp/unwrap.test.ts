import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { PgpUnwrapError, unwrapPgp } from '../../src/domain/pgp/unwrap.js';
import {
  armoredTo,
  autocryptHeader,
  clearSigned,
  compose,
  entityOf,
  makeKey,
  pgpMimeEncrypted,
  pgpMimeSigned,
  SIGN_DATE,
  type TestKey,
} from './support.js';

// unwrapPgp over messages built as mail clients build them (nodemailer's composer + OpenPGP.js).
// The date is the test clock's: signatures are judged then.

const NOW = new Date('2026-03-02T09:00:00.000Z');
const REPORTER = 'ada@example.net';
const headers = {
  From: `Ada Reporter <${REPORTER}>`,
  To: 'security@example.org',
  Subject: 'Heap overflow in parse()',
  'Message-ID': '<report-1@example.net>',
};
/** The same headers as nodemailer's composer takes them. */
const mailOptions = { from: headers.From, to: headers.To, subject: headers.Subject, messageId: headers['Message-ID'] };

describe('unwrapPgp', () => {
  let project: TestKey;
  let reporter: TestKey;
  let stranger: TestKey;

  beforeAll(async () => {
    project = await makeKey('Widget security team', 'security@example.org');
    reporter = await makeKey('Ada Reporter', REPORTER);
    stranger = await makeKey('Someone Else', 'else@example.com');
  });

  const unwrap = (raw: Buffer, options: { privateKey?: TestKey | null; known?: string[] } = {}) =>
    unwrapPgp({
      raw,
      privateKey: options.privateKey === undefined ? project.privateKey : (options.privateKey?.privateKey ?? null),
      knownSenderKeys: options.known ?? [],
      date: NOW,
    });

  const report = () =>
    entityOf({
      text: 'The SECRET-PAYLOAD overflows the buffer.',
      html: '<p>The SECRET-PAYLOAD overflows the buffer.</p>',
      attachments: [{ filename: 'poc.py', content: 'print("boom")\n', contentType: 'text/x-python' }],
    });

  it('decrypts PGP/MIME and keeps the outer headers and the attachments', async () => {
    const raw = await pgpMimeEncrypted({ headers, entity: await report(), to: project.publicKey });
    expect(raw.toString()).not.toContain('SECRET-PAYLOAD');
    const out = await unwrap(raw);
    expect(out).toMatchObject({ encrypted: true, signature: null, senderKey: null });
    const mail = await simpleParser(out.raw);
    expect(mail.text).toContain('The SECRET-PAYLOAD overflows the buffer.');
    expect(mail.subject).toBe('Heap overflow in parse()');
    expect(mail.messageId).toBe('<report-1@example.net>');
    expect(mail.from?.value[0]?.address).toBe(REPORTER);
    expect(mail.attachments.map((a) => [a.filename, a.content.toString()])).toEqual([['poc.py', 'print("boom")\n']]);
  });

  it('verifies a signature inside the encryption with the key attached inside it, and keeps that key', async () => {
    const entity = await entityOf({
      text: 'Signed and sealed: SECRET-PAYLOAD.',
      attachments: [
        { filename: 'OpenPGP_0xADA.asc', content: reporter.armoredPublic, contentType: 'application/pgp-keys' },
      ],
    });
    const raw = await pgpMimeEncrypted({ headers, entity, to: project.publicKey, signWith: reporter.privateKey });
    const out = await unwrap(raw);
    expect(out.encrypted).toBe(true);
    expect(out.signature).toEqual({
      status: 'verified',
      fingerprint: reporter.fingerprint,
      userId: `Ada Reporter <${REPORTER}>`,
      keySource: 'attached',
    });
    expect(out).toMatchObject({ partlySigned: false, partlyEncrypted: false });
    expect(out.senderKey).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    expect(out.senderKey).not.toContain('PRIVATE');
    expect((await simpleParser(out.raw)).text).toContain('Signed and sealed: SECRET-PAYLOAD.');
  });

  it('calls a signature by a key it does not hold unverified, and one by a known key verified', async () => {
    const entity = await entityOf({ text: 'No key attached.' });
    const raw = await pgpMimeEncrypted({ headers, entity, to: project.publicKey, signWith: reporter.privateKey });
    const unknown = await unwrap(raw);
    expect(unknown.signature).toEqual({ status: 'unverified', keyId: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(unknown.senderKey).toBeNull();
    const known = await unwrap(raw, { known: [reporter.armoredPublic] });
    expect(known.signature).toMatchObject({
      status: 'verified',
      fingerprint: reporter.fingerprint,
      keySource: 'earlier-report',
    });
    // The report was encrypted and the key is known: it is kept for the replies.
    expect(known.senderKey).toContain('BEGIN PGP PUBLIC KEY BLOCK');
  });

  it('verifies a PGP/MIME signed message over the exact bytes, and calls one altered byte invalid', async () => {
    const entity = await entityOf({ text: 'Signed, not encrypted: the parser overflows.' });
    const raw = await pgpMimeSigned({ headers, entity, signWith: reporter.privateKey });
    const out = await unwrap(raw, { known: [reporter.armoredPublic], privateKey: null });
    expect(out).toMatchObject({
      encrypted: false,
      signature: { status: 'verified', fingerprint: reporter.fingerprint },
    });
    const mail = await simpleParser(out.raw);
    expect(mail.text).toContain('Signed, not encrypted: the parser overflows.');
    expect(mail.attachments).toEqual([]); // the signature part is gone

    const altered = Buffer.from(
      raw.toString('latin1').replace('the parser overflows', 'the parser overflowz'),
      'latin1',
    );
    expect(altered.equals(raw)).toBe(false);
    const bad = await unwrap(altered, { known: [reporter.armoredPublic], privateKey: null });
    expect(bad.signature).toMatchObject({ status: 'invalid' });
    expect((await simpleParser(bad.raw)).text).toContain('overflowz');
  });

  it('verifies a signed message whose lines arrive with bare LF, as RFC 3156 canonicalises them', async () => {
    const entity = await entityOf({ text: 'Line one.\nLine two.' });
    const raw = await pgpMimeSigned({ headers, entity, signWith: reporter.privateKey });
    const lf = Buffer.from(raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    const out = await unwrap(lf, { known: [reporter.armoredPublic] });
    expect(out.signature).toMatchObject({ status: 'verified' });
  });

  it('decrypts inline PGP in a plain text body, and drops the HTML copy of the ciphertext', async () => {
    const armored = await armoredTo(
      'Inline SECRET-PAYLOAD: the parser overflows.',
      project.publicKey,
      reporter.privateKey,
    );
    const raw = await compose({
      ...mailOptions,
      text: `Hello team,\n\n${armored}\n\nAda`,
      html: `<pre>${armored}</pre>`,
    });
    const out = await unwrap(raw, { known: [reporter.armoredPublic] });
    expect(out).toMatchObject({ encrypted: true, signature: { status: 'verified' } });
    // "Hello team," and "Ada" came in the clear and unsigned around the block.
    expect(out).toMatchObject({ partlySigned: true, partlyEncrypted: true });
    const mail = await simpleParser(out.raw);
    expect(mail.text).toContain('Hello team,');
    expect(mail.text).toContain('Inline SECRET-PAYLOAD: the parser overflows.');
    expect(mail.text).not.toContain('BEGIN PGP MESSAGE');
    expect(mail.html).toBe(false);
    expect(mail.subject).toBe(headers.Subject);
  });

  it('verifies inline clear-signed text with the key of the Autocrypt header, and keeps that key', async () => {
    const signed = await clearSigned('I found an overflow in parse().', reporter.privateKey);
    const raw = await compose({
      ...mailOptions,
      headers: { Autocrypt: autocryptHeader(REPORTER, reporter.publicKey) },
      text: signed,
    });
    const out = await unwrap(raw, { privateKey: null });
    expect(out.encrypted).toBe(false);
    expect(out.signature).toMatchObject({
      status: 'verified',
      fingerprint: reporter.fingerprint,
      keySource: 'autocrypt',
    });
    expect(out).toMatchObject({ partlySigned: false, partlyEncrypted: false });
    expect(out.senderKey).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    const text = (await simpleParser(out.raw)).text ?? '';
    expect(text.trim()).toBe('I found an overflow in parse().');
  });

  it('picks up the Autocrypt key of a plain message, but not one for another address', async () => {
    const plain = await compose({
      ...mailOptions,
      headers: { Autocrypt: autocryptHeader(REPORTER, reporter.publicKey) },
      text: 'Hi',
    });
    const out = await unwrap(plain);
    expect(out).toMatchObject({ encrypted: false, signature: null });
    expect(out.raw.equals(plain)).toBe(true);
    expect(out.senderKey).toContain('BEGIN PGP PUBLIC KEY BLOCK');

    const spoofed = await compose({
      ...mailOptions,
      headers: { Autocrypt: autocryptHeader('else@example.com', stranger.publicKey) },
      text: 'Hi',
    });
    expect((await unwrap(spoofed)).senderKey).toBeNull();
  });

  it('keeps only the public part of a private key a reporter attached by mistake', async () => {
    const raw = await compose({
      ...headers,
      text: 'My key is attached.',
      attachments: [{ filename: 'key.asc', content: reporter.armoredPrivate, contentType: 'application/pgp-keys' }],
    });
    const out = await unwrap(raw);
    expect(out.senderKey).toContain('BEGIN PGP PUBLIC KEY BLOCK');
    expect(out.senderKey).not.toContain('PRIVATE KEY');
  });

  it('refuses encrypted mail with a clear reason when the project has no key, or not the right one', async () => {
    const raw = await pgpMimeEncrypted({ headers, entity: await report(), to: project.publicKey });
    await expect(unwrap(raw, { privateKey: null })).rejects.toThrow(PgpUnwrapError);
    await expect(unwrap(raw, { privateKey: null })).rejects.toMatchObject({
      reason: 'encrypted, but the project has no private key',
    });
    await expect(unwrap(raw, { privateKey: stranger })).rejects.toMatchObject({
      reason: expect.stringMatching(/^could not decrypt/),
    });
    const inline = await compose({ ...mailOptions, text: await armoredTo('secret', project.publicKey) });
    await expect(unwrap(inline, { privateKey: null })).rejects.toMatchObject({
      reason: 'encrypted, but the project has no private key',
    });
  });

  it('leaves a plain message and a quoted armor block as they are', async () => {
    const armored = await armoredTo('old', project.publicKey);
    const quoted = armored
      .split('\n')
      .map((l) => `> ${l}`)
      .join('\n');
    const raw = await compose({ ...mailOptions, text: `Answering:\n${quoted}` });
    const out = await unwrap(raw, { privateKey: null });
    expect(out).toEqual({
      raw,
      encrypted: false,
      signature: null,
      senderKey: null,
      partlySigned: false,
      partlyEncrypted: false,
    });
  });

  it('reads a protected Subject from inside the encryption', async () => {
    const entity = await entityOf({ text: 'Hidden subject.', headers: { 'X-Unused': '1' } });
    const protectedEntity = Buffer.from(`Subject: Real subject, protected\r\n${entity.toString('utf8')}`, 'utf8');
    const raw = await pgpMimeEncrypted({
      headers: { ...headers, Subject: '...' },
      entity: protectedEntity,
      to: project.publicKey,
    });
    const mail = await simpleParser((await unwrap(raw)).raw);
    expect(mail.subject).toBe('Real subject, protected');
    expect(mail.text).toContain('Hidden subject.');
  });

  it('unwraps a signed entity inside the encryption (RFC 3156 section 6.1)', async () => {
    const signed = await pgpMimeSigned({
      headers: {},
      entity: await entityOf({ text: 'Nested.' }),
      signWith: reporter.privateKey,
    });
    const raw = await pgpMimeEncrypted({ headers, entity: signed, to: project.publicKey });
    const out = await unwrap(raw, { known: [reporter.armoredPublic] });
    expect(out).toMatchObject({ encrypted: true, signature: { status: 'verified' } });
    const mail = await simpleParser(out.raw);
    expect(mail.text).toContain('Nested.');
    expect(mail.subject).toBe(headers.Subject);
  });

  it('refuses a message that nests encryption without end', async () => {
    let entity = await entityOf({ text: 'Deep.' });
    for (let i = 0; i < 10; i++) entity = await pgpMimeEncrypted({ headers: {}, entity, to: project.publicKey });
    await expect(unwrap(entity)).rejects.toMatchObject({ reason: 'the message nests too many OpenPGP layers' });
  });

  it('refuses a compressed payload that inflates beyond the limit', async () => {
    const big = await openpgp.encrypt({
      message: await openpgp.createMessage({ text: 'A'.repeat(2_000_000) }),
      encryptionKeys: project.publicKey,
      config: { preferredCompressionAlgorithm: openpgp.enums.compression.zlib },
      date: SIGN_DATE,
    });
    const raw = await compose({ ...mailOptions, text: big });
    expect(raw.length).toBeLessThan(100_000);
    await expect(
      unwrapPgp({ raw, privateKey: project.privateKey, knownSenderKeys: [], date: NOW, maxBytes: 1_000_000 }),
    ).rejects.toMatchObject({ reason: 'the decrypted content exceeds the limit of 1000000 bytes' });
  });

  describe('one budget for all decrypted content', () => {
    /** An armored message whose `size` bytes of "A" compress to a few KB. */
    const bomb = async (size: number) =>
      openpgp.encrypt({
        message: await openpgp.createMessage({ binary: new Uint8Array(size).fill(65) }),
        encryptionKeys: project.publicKey,
        config: { preferredCompressionAlgorithm: openpgp.enums.compression.zlib },
        date: SIGN_DATE,
      });
    const inlineBlocks = (blocks: string[]) =>
      Buffer.from(
        `From: ${REPORTER}\r\nTo: security@example.org\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\n` +
          `${blocks.join('\n')}\r\n`,
      );
    const withLimit = (raw: Buffer, maxBytes: number) =>
      unwrapPgp({ raw, privateKey: project.privateKey, knownSenderKeys: [], date: NOW, maxBytes });

    it('counts every inline block against the same budget, not each block against its own', async () => {
      const block = await bomb(4_000_000);
      const limit = 10 * 1024 * 1024;
      const two = await withLimit(inlineBlocks([block, block]), limit);
      expect(two.encrypted).toBe(true);
      expect(two.raw.length).toBeGreaterThan(8_000_000);
      // Each block alone fits the limit; the three together do not.
      await expect(withLimit(inlineBlocks([block, block, block]), limit)).rejects.toMatchObject({
        name: 'PgpUnwrapError',
        reason: `the decrypted content exceeds the limit of ${limit} bytes`,
      });
    });

    it('stops a mail of ten 64 MiB bombs at the second one, as a PgpUnwrapError', async () => {
      // The reviewer's probe: an 887 KB mail grew to 1.38 GB and died of a RangeError (then retried).
      const block = await bomb(64 * 1024 * 1024);
      const raw = inlineBlocks(Array<string>(10).fill(block));
      expect(raw.length).toBeLessThan(1_000_000);
      const limit = 72 * 1024 * 1024;
      const error: unknown = await withLimit(raw, limit).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(PgpUnwrapError);
      // The size limit, not the layer limit (9th block) nor an out-of-memory error: decryption
      // stopped within the budget, at the second block.
      expect(error).toMatchObject({ reason: `the decrypted content exceeds the limit of ${limit} bytes` });
    }, 60_000);

    it('shares the budget between a PGP/MIME layer and the inline block inside it', async () => {
      const block = await bomb(4_000_000);
      const limit = 4 * 1024 * 1024;
      // Incompressible padding: about 300 KB of the budget goes to the outer layer.
      const padding = randomBytes(220_000).toString('base64');
      const attachments = [{ filename: 'padding.txt', content: padding, contentType: 'application/octet-stream' }];
      const plain = await compose({ ...mailOptions, text: block, attachments });
      expect((await withLimit(plain, limit)).encrypted).toBe(true); // the block alone fits
      const entity = await entityOf({ text: block, attachments });
      const wrapped = await pgpMimeEncrypted({ headers, entity, to: project.publicKey });
      await expect(withLimit(wrapped, limit)).rejects.toMatchObject({
        reason: `the decrypted content exceeds the limit of ${limit} bytes`,
      });
    });

    it('counts each inline block as a layer', async () => {
      const block = await armoredTo('tiny', project.publicKey);
      expect((await withLimit(inlineBlocks(Array<string>(8).fill(block)), 1_000_000)).encrypted).toBe(true);
      await expect(withLimit(inlineBlocks(Array<string>(9).fill(block)), 1_000_000)).rejects.toMatchObject({
        reason: 'the message nests too many OpenPGP layers',
      });
    });

    it('turns any unexpected failure into a PgpUnwrapError, so the message is quarantined, not retried', async () => {
      // No bytes at all: parsing fails with a TypeError, as a crafted message might fail anywhere.
      const broken = unwrapPgp({ raw: null as unknown as Buffer, privateKey: null, knownSenderKeys: [] });
      await expect(broken).rejects.toBeInstanceOf(PgpUnwrapError);
      await expect(
        unwrapPgp({ raw: null as unknown as Buffer, privateKey: null, knownSenderKeys: [] }),
      ).rejects.toMatchObject({ reason: expect.stringMatching(/^could not read the message \(/) });
    });
  });

  describe('what a signature proves', () => {
    it('says which key verified it: the key given by the caller before the same key attached to the mail', async () => {
      const signed = await clearSigned('Signed by Ada.', reporter.privateKey);
      const attached = await compose({
        ...mailOptions,
        text: signed,
        attachments: [{ filename: 'ada.asc', content: reporter.armoredPublic, contentType: 'application/pgp-keys' }],
      });
      expect((await unwrap(attached)).signature).toMatchObject({
        status: 'verified',
        fingerprint: reporter.fingerprint,
        keySource: 'attached',
      });
      const given = await unwrapPgp({
        raw: attached,
        privateKey: null,
        knownSenderKeys: [reporter.armoredPublic],
        givenKeys: [reporter.armoredPublic],
        date: NOW,
      });
      expect(given.signature).toMatchObject({ fingerprint: reporter.fingerprint, keySource: 'given' });
      const earlier = await unwrap(attached, { known: [reporter.armoredPublic] });
      expect(earlier.signature).toMatchObject({ keySource: 'earlier-report' });
    });

    it('calls a clear-signed fragment in unsigned text partly signed', async () => {
      const signed = await clearSigned('Only this is signed.', reporter.privateKey);
      const whole = await unwrap(await compose({ ...mailOptions, text: signed }), { known: [reporter.armoredPublic] });
      expect(whole).toMatchObject({ signature: { status: 'verified' }, partlySigned: false, partlyEncrypted: false });
      const raw = await compose({ ...mailOptions, text: `Unsigned: send the key to mallory.\n\n${signed}` });
      const out = await unwrap(raw, { known: [reporter.armoredPublic] });
      expect(out).toMatchObject({ signature: { status: 'verified' }, partlySigned: true, partlyEncrypted: false });
    });

    it('calls a message with clear parts beside the encrypted one partly encrypted', async () => {
      const armored = await armoredTo('Encrypted part.', project.publicKey);
      // The HTML copy of the ciphertext is dropped: it does not count as text in the clear.
      const only = await compose({ ...mailOptions, text: armored, html: `<pre>${armored}</pre>` });
      expect(await unwrap(only)).toMatchObject({ encrypted: true, partlyEncrypted: false, partlySigned: false });
      const withClearAttachment = await compose({
        ...mailOptions,
        text: armored,
        attachments: [{ filename: 'poc.py', content: 'print("clear")\n', contentType: 'text/x-python' }],
      });
      expect(await unwrap(withClearAttachment)).toMatchObject({ partlyEncrypted: true });
      const pgpMime = await pgpMimeEncrypted({ headers, entity: await report(), to: project.publicKey });
      expect(await unwrap(pgpMime)).toMatchObject({ partlyEncrypted: false, partlySigned: false });
    });
  });
});
