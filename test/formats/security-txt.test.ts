import fs from 'node:fs';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import {
  parseSecurityTxt,
  type SecurityTxtInput,
  type SecurityTxtProblemCode,
  toSecurityTxt,
} from '../../src/formats/security-txt.js';
import { makeKey } from '../pgp/support.js';

// RFC 9116's own examples (section 2.6 unsigned, 2.7 signed) are fixtures; see their README.
const fixture = (name: string) =>
  fs.readFileSync(new URL(`../fixtures/formats/security-txt/${name}`, import.meta.url), 'utf8');
const RFC_UNSIGNED = fixture('rfc9116-2.6-unsigned.txt');
const RFC_SIGNED = fixture('rfc9116-2.7-signed.txt');
/** Within a year before the examples' Expires (2021-12-31T18:37:07.000Z). */
const BEFORE_RFC_EXPIRY = '2021-06-01T00:00:00Z';

const input: SecurityTxtInput = {
  contacts: ['https://embargo.example/p/widget/report', 'mailto:security@widget.example'],
  expires: '2027-03-01T00:00:00+01:00',
  encryption: ['https://embargo.example/p/widget/pgp-key.asc'],
  acknowledgments: ['https://embargo.example/p/widget/advisories'],
  preferredLanguages: ['en', 'de'],
  canonical: ['https://embargo.example/p/widget/.well-known/security.txt'],
  policy: ['https://embargo.example/p/widget/security-policy'],
  hiring: [],
  csaf: ['https://embargo.example/.well-known/csaf/provider-metadata.json'],
  comment: 'Widget security contacts.\nKept fresh by Embargo.',
};

const codes = (text: string, now: string | undefined = BEFORE_RFC_EXPIRY): SecurityTxtProblemCode[] =>
  parseSecurityTxt(text, now === undefined ? {} : { now }).problems.map((p) => p.code);

/** A minimal valid file plus `extra` lines. */
const file = (...extra: string[]) =>
  ['Contact: mailto:security@example.com', 'Expires: 2021-12-31T18:37:07.000Z', ...extra, ''].join('\n');

describe('security.txt writer', () => {
  it('writes the fields in order, one per line, with the comment first', () => {
    expect(toSecurityTxt(input)).toBe(
      [
        '# Widget security contacts.',
        '# Kept fresh by Embargo.',
        'Contact: https://embargo.example/p/widget/report',
        'Contact: mailto:security@widget.example',
        'Expires: 2027-02-28T23:00:00.000Z',
        'Encryption: https://embargo.example/p/widget/pgp-key.asc',
        'Acknowledgments: https://embargo.example/p/widget/advisories',
        'Preferred-Languages: en, de',
        'Canonical: https://embargo.example/p/widget/.well-known/security.txt',
        'Policy: https://embargo.example/p/widget/security-policy',
        'CSAF: https://embargo.example/.well-known/csaf/provider-metadata.json',
        '',
      ].join('\n'),
    );
  });

  it('parses back to what it was given, with no problem', () => {
    const parsed = parseSecurityTxt(toSecurityTxt(input), { now: '2026-06-01T00:00:00Z' });
    expect(parsed.problems).toEqual([]);
    expect(parsed).toMatchObject({
      signed: false,
      contacts: input.contacts,
      expires: '2027-02-28T23:00:00.000Z',
      encryption: input.encryption,
      acknowledgments: input.acknowledgments,
      preferredLanguages: input.preferredLanguages,
      canonical: input.canonical,
      policy: input.policy,
      hiring: [],
      csaf: input.csaf,
      comments: ['Widget security contacts.', 'Kept fresh by Embargo.'],
      unknown: [],
    });
  });

  it('refuses what would make the file malformed', () => {
    expect(() => toSecurityTxt({ ...input, contacts: [] })).toThrow(/Contact is required/);
    expect(() => toSecurityTxt({ ...input, expires: '2027-03-01' })).toThrow(/with a zone/);
    expect(() => toSecurityTxt({ ...input, expires: '2027-02-30T00:00:00Z' })).not.toThrow(); // JS rolls it over
    expect(() => toSecurityTxt({ ...input, contacts: ['security@widget.example'] })).toThrow(/must be a URI/);
    // A line break in a value would write a field of its own.
    expect(() => toSecurityTxt({ ...input, policy: ['https://x.example/\nContact: mailto:evil@x.example'] })).toThrow(
      /one line/,
    );
    expect(() => toSecurityTxt({ ...input, comment: 'fine\rContact: x' })).toThrow(/one line/);
    expect(() => toSecurityTxt({ ...input, preferredLanguages: ['en, fr'] })).toThrow(/language tag/);
  });
});

describe('security.txt parser', () => {
  it('reads the unsigned example of RFC 9116 section 2.6 with no problem', () => {
    const parsed = parseSecurityTxt(RFC_UNSIGNED, { now: BEFORE_RFC_EXPIRY });
    expect(parsed.problems).toEqual([]);
    expect(parsed).toMatchObject({
      signed: false,
      contacts: ['mailto:security@example.com'],
      encryption: ['https://example.com/pgp-key.txt'],
      policy: ['https://example.com/security-policy.html'],
      acknowledgments: ['https://example.com/hall-of-fame.html'],
      expires: '2021-12-31T18:37:07.000Z',
      comments: ['Our security address', 'Our OpenPGP key', 'Our security policy', 'Our security acknowledgments page'],
    });
  });

  it('reads the signed example of RFC 9116 section 2.7 by stripping its OpenPGP framing', () => {
    const parsed = parseSecurityTxt(RFC_SIGNED, { now: BEFORE_RFC_EXPIRY });
    expect(parsed.problems).toEqual([]);
    expect(parsed.signed).toBe(true);
    expect(parsed.canonical).toEqual(['https://example.com/.well-known/security.txt']);
    expect(parsed.contacts).toEqual(['mailto:security@example.com']);
    expect(parsed.expires).toBe('2021-12-31T18:37:07.000Z');
  });

  it('reads CRLF line ends as LF ones (RFC 9116 2.2)', () => {
    const crlf = parseSecurityTxt(RFC_SIGNED.replace(/\n/g, '\r\n'), { now: BEFORE_RFC_EXPIRY });
    expect(crlf).toEqual(parseSecurityTxt(RFC_SIGNED, { now: BEFORE_RFC_EXPIRY }));
  });

  it('reads field names case-insensitively and accepts lower-case t and z in Expires', () => {
    const parsed = parseSecurityTxt('contact: tel:+1-201-555-0123\nEXPIRES: 2021-12-31t18:37:07z\n', {
      now: BEFORE_RFC_EXPIRY,
    });
    expect(parsed.problems).toEqual([]);
    expect(parsed.contacts).toEqual(['tel:+1-201-555-0123']);
  });

  it('finds each problem of hand-written bad files, on its line', () => {
    expect(codes('Expires: 2021-12-31T18:37:07.000Z\n')).toEqual(['missing-contact']);
    expect(codes('Contact: mailto:security@example.com\n')).toEqual(['missing-expires']);
    expect(parseSecurityTxt(file('Expires: 2022-01-31T00:00:00Z')).problems).toMatchObject([
      { code: 'duplicate-expires', level: 'error', line: 3 },
    ]);
    expect(codes('Contact: mailto:security@example.com\nExpires: 2021-12-31 18:37\n')).toEqual(['invalid-expires']);
    expect(codes('Contact: mailto:security@example.com\nExpires: 2021-12-31T18:37:07\n')).toEqual(['invalid-expires']);
    expect(codes(RFC_UNSIGNED, '2022-01-01T00:00:00Z')).toEqual(['expired']);
    expect(codes(RFC_UNSIGNED, '2020-06-01T00:00:00Z')).toEqual(['expires-too-far']);
    expect(codes(RFC_UNSIGNED, undefined)).toEqual([]); // no clock given, no judgement of time
    expect(parseSecurityTxt(file('Policy: http://example.com/policy')).problems).toMatchObject([
      { code: 'insecure-uri', level: 'error', line: 3 },
    ]);
    expect(codes(file('Contact: security@example.com'))).toEqual(['invalid-uri']);
    expect(parseSecurityTxt(file('Hiring: ftp://example.com/jobs')).problems).toMatchObject([
      { code: 'unexpected-scheme', level: 'warning' },
    ]);
    expect(codes(file('Preferred-Languages: en, fr', 'Preferred-Languages: de'))).toEqual([
      'duplicate-preferred-languages',
    ]);
    expect(codes(file('Preferred-Languages: en, not a tag'))).toEqual(['invalid-language-tag']);
    expect(codes(file('This line is prose.', 'https://example.com/security', 'Policy:'))).toEqual([
      'invalid-line',
      'invalid-line',
      'invalid-line',
    ]);
  });

  it('keeps an unknown field and warns about it', () => {
    const parsed = parseSecurityTxt(file('Bug-Bounty: https://example.com/bounty', 'constructor: x'), {
      now: BEFORE_RFC_EXPIRY,
    });
    expect(parsed.unknown).toEqual([
      { name: 'Bug-Bounty', value: 'https://example.com/bounty', line: 3 },
      { name: 'constructor', value: 'x', line: 4 },
    ]);
    expect(parsed.problems).toMatchObject([
      { code: 'unknown-field', level: 'warning', line: 3 },
      { code: 'unknown-field', level: 'warning', line: 4 },
    ]);
  });

  it('undoes dash-escaping (RFC 4880 7.1) and reports broken signature framing', () => {
    const escaped = RFC_SIGNED.replace('\nExpires:', '\n- Expires:');
    expect(parseSecurityTxt(escaped, { now: BEFORE_RFC_EXPIRY }).problems).toEqual([]);
    expect(parseSecurityTxt(escaped).expires).toBe('2021-12-31T18:37:07.000Z');
    // The malformed line is not read as a field, so its Expires is missing too.
    expect(codes(RFC_SIGNED.replace('\nExpires:', '\n-Expires:'))).toEqual([
      'invalid-signature-framing',
      'missing-expires',
    ]);
    expect(codes(RFC_SIGNED.replace('-----END PGP SIGNATURE-----\n', ''))).toEqual(['invalid-signature-framing']);
    expect(codes(RFC_SIGNED.split('-----BEGIN PGP SIGNATURE-----')[0] ?? '')).toEqual(['invalid-signature-framing']);
    const appended = parseSecurityTxt(`${RFC_SIGNED}Contact: mailto:attacker@example.net\n`, {
      now: BEFORE_RFC_EXPIRY,
    });
    expect(appended.problems).toMatchObject([{ code: 'invalid-signature-framing', line: 25 }]);
    expect(appended.contacts).toEqual(['mailto:security@example.com']);
  });

  it('reads a file signed by OpenPGP.js, whose signature verifies over the same text', async () => {
    const key = await makeKey('Widget security', 'security@widget.example', { date: new Date('2026-01-01Z') });
    // A field name starting with "-" makes the signer dash-escape its line.
    const text = `${toSecurityTxt(input)}-Experimental: yes\n`;
    const signed = await openpgp.sign({
      message: await openpgp.createCleartextMessage({ text }),
      signingKeys: key.privateKey,
      date: new Date('2026-06-01Z'),
    });
    expect(JSON.stringify(signed)).toContain('\\n- -Experimental: yes\\r\\n');
    const parsed = parseSecurityTxt(signed, { now: '2026-06-01T00:00:00Z' });
    expect(parsed.signed).toBe(true);
    expect(parsed.problems.map((p) => p.code)).toEqual(['unknown-field']);
    expect(parsed.unknown.map((u) => u.name)).toEqual(['-Experimental']);
    expect(parsed.contacts).toEqual(input.contacts);
    const verified = await openpgp.verify({
      message: await openpgp.readCleartextMessage({ cleartextMessage: signed }),
      verificationKeys: key.publicKey,
      date: new Date('2026-06-01Z'),
    });
    await expect(verified.signatures[0]?.verified).resolves.toBe(true);
  });
});
