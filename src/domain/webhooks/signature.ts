import crypto from 'node:crypto';

// The signature a receiver checks: HMAC-SHA256, keyed with the webhook's secret (the text shown
// once at creation, as UTF-8), over "<timestamp>.<body>". The timestamp is inside the MAC so a
// receiver can refuse old deliveries (replays); the delivery id in the body lets it drop repeats.

/** The `X-Embargo-Signature` value for this timestamp (unix seconds) and exact body. */
export function signPayload(secret: string, timestamp: string | number, body: string): string {
  const mac = crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestamp}.${body}`, 'utf8');
  return `sha256=${mac.digest('hex')}`;
}

/** For receivers and tests: whether `header` is the signature of `body` at `timestamp`, compared in constant time. */
export function verifySignature(
  secret: string,
  timestamp: string | number,
  body: string,
  header: string | undefined,
): boolean {
  if (typeof header !== 'string') return false;
  const expected = Buffer.from(signPayload(secret, timestamp, body), 'utf8');
  const given = Buffer.from(header.trim(), 'utf8');
  // timingSafeEqual needs equal lengths; a length mismatch tells nothing about the secret.
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}
