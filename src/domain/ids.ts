import crypto from 'node:crypto';

export function newId(): string {
  return crypto.randomUUID();
}

/** A bearer secret: 32 random bytes (256 bits), URL-safe. Store only its hash. */
export function newSecretToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** SHA-256 of a high-entropy secret; fine for lookups because the secret cannot be guessed. */
export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

// Crockford base32 without I, L, O, U: easy to read aloud and to type from a letter.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A human-friendly public id such as `R-7KQ2-9XHD` (40 bits; not a secret). */
export function newTrackingId(prefix = 'R'): string {
  const bytes = crypto.randomBytes(8);
  let out = '';
  for (let i = 0; i < 8; i++) out += ALPHABET[(bytes[i] ?? 0) % 32];
  return `${prefix}-${out.slice(0, 4)}-${out.slice(4)}`;
}

/** Constant-time comparison of two strings of possibly different length. */
export function safeEqual(a: string, b: string): boolean {
  const ha = crypto.createHash('sha256').update(a).digest();
  const hb = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(ha, hb) && a.length === b.length;
}
