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
    });
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
    expect(known.signature).toMatchObject({ status: 'verified', fingerprint: reporter.fingerprint });
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
    expect(out.signature).toMatchObject({ status: 'verified', fingerprint: reporter.fingerprint });
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
    expect(out).toEqual({ raw, encrypted: false, signature: null, senderKey: null });
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
    ).rejects.toMatchObject({ reason: expect.stringMatching(/^could not decrypt.*decompressed message size/) });
  });
});
