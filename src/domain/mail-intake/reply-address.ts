import crypto from 'node:crypto';

// Per-report reply addresses, `security+r-<tracking id>-<mac>@domain`, that need no stored secret:
// the MAC proves Embargo issued the address for that report, so mail to it lands on the report's
// conversation while a guessed or altered address is refused at RCPT time. Everything is lowercase
// because mail systems may change the case of a local part.

const MAC_CHARS = 16; // 64 bits of HMAC-SHA256, as hex: unguessable at SMTP speed.
const TRACKING = /^[a-z]{1,4}-[0-9a-z]{4}-[0-9a-z]{4}$/;
const REPLY = /^(.+)\+r-([a-z]{1,4}-[0-9a-z]{4}-[0-9a-z]{4})-([0-9a-f]{16})@([^@\s]+)$/;

export interface ReplyAddressParts {
  /** The intake address's local part, e.g. `security`. */
  localPart: string;
  domain: string;
  /** The report's tracking id, canonical (uppercase), e.g. `R-7KQ2-9XHD`. */
  trackingId: string;
}

// The server key also signs CSRF tokens; a sub-key of its own keeps the two uses apart for good.
function replyKey(secret: Buffer): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), 'embargo reply addresses v1', 32));
}

function macOf(secret: Buffer, trackingId: string): string {
  return crypto
    .createHmac('sha256', replyKey(secret))
    .update(`reply:${trackingId.toUpperCase()}`)
    .digest('hex')
    .slice(0, MAC_CHARS);
}

/** The reply address of a report: `<localPart>+r-<tracking id>-<mac>@<domain>`, lowercase. */
export function replyAddressFor(secret: Buffer, parts: ReplyAddressParts): string {
  const tracking = parts.trackingId.toLowerCase();
  if (!TRACKING.test(tracking)) throw new Error(`not a tracking id: ${parts.trackingId}`);
  const local = parts.localPart.toLowerCase();
  return `${local}+r-${tracking}-${macOf(secret, tracking)}@${parts.domain.toLowerCase()}`;
}

/** The parts of a reply address whose MAC is right (compared in constant time), or null. */
export function parseReplyAddress(secret: Buffer, address: string): ReplyAddressParts | null {
  const match = REPLY.exec(address.trim().toLowerCase());
  if (!match) return null;
  const [, localPart = '', tracking = '', mac = '', domain = ''] = match;
  const expected = Buffer.from(macOf(secret, tracking), 'utf8');
  if (!crypto.timingSafeEqual(expected, Buffer.from(mac, 'utf8'))) return null;
  return { localPart, domain, trackingId: tracking.toUpperCase() };
}
