import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seal, unseal } from '../../src/domain/instance/sealed.js';

describe('sealed secrets', () => {
  const key = crypto.randomBytes(32);

  it('round-trips, and never holds the plaintext', () => {
    const sealed = seal(key, '-----BEGIN PGP PRIVATE KEY BLOCK-----\nsecret', 'pgp:p1');
    expect(sealed).not.toContain('secret');
    expect(sealed).not.toBe(seal(key, '-----BEGIN PGP PRIVATE KEY BLOCK-----\nsecret', 'pgp:p1'));
    expect(unseal(key, sealed, 'pgp:p1')).toBe('-----BEGIN PGP PRIVATE KEY BLOCK-----\nsecret');
  });

  it('refuses another key, another context, or altered bytes', () => {
    const sealed = seal(key, 'imap password', 'imap:a1');
    expect(() => unseal(crypto.randomBytes(32), sealed, 'imap:a1')).toThrow();
    expect(() => unseal(key, sealed, 'imap:a2')).toThrow();
    const parts = sealed.split(':');
    const body = Buffer.from(parts[3] ?? '', 'base64');
    body[0] = (body[0] ?? 0) ^ 1;
    expect(() => unseal(key, [parts[0], parts[1], parts[2], body.toString('base64')].join(':'), 'imap:a1')).toThrow();
    expect(() => unseal(key, 'garbage', 'imap:a1')).toThrow(/not a sealed value/);
  });
});
