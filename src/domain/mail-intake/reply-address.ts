import crypto from 'node:crypto';

// Per-report reply addresses, `security+r-<tracking id>-<mac>@domain`, that need no stored secret:
// the MAC proves Embargo issued the address for that report, so mail to it lands on the report's
// conversation while a guessed or altered address is refused at RCPT time. Everything is lowercase
// because mail systems may change the case of a local part.
//
// Per-member reply addresses, `security+m-<tracking id>-<mac>@domain`, go only to one team member
// (as Reply-To of their notifications about the report): the MAC covers the tracking id AND the
// member's user id, so mail to it can be told apart as that member's answer. The user id is not
// written out (a UUID would push the local part past 64 characters); the parser is given the
// project's member ids and finds the one whose MAC matches.

const MAC_CHARS = 16; // 64 bits of HMAC-SHA256, as hex: unguessable at SMTP speed.
const TRACKING = /^[a-z]{1,4}-[0-9a-z]{4}-[0-9a-z]{4}$/;
const REPLY = /^(.+)\+r-([a-z]{1,4}-[0-9a-z]{4}-[0-9a-z]{4})-([0-9a-f]{16})@([^@\s]+)$/;
const MEMBER_REPLY = /^(.+)\+m-([a-z]{1,4}-[0-9a-z]{4}-[0-9a-z]{4})-([0-9a-f]{16})@([^@\s]+)$/;

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

function macOf(secret: Buffer, trackingId: string, userId?: string): string {
  // Distinct prefixes: a report's MAC can never serve as a member's, nor the reverse.
  const input =
    userId === undefined ? `reply:${trackingId.toUpperCase()}` : `member:${trackingId.toUpperCase()}:${userId}`;
  return crypto.createHmac('sha256', replyKey(secret)).update(input).digest('hex').slice(0, MAC_CHARS);
}

function sameMac(expected: string, given: string): boolean {
  return crypto.timingSafeEqual(Buffer.from(expected, 'utf8'), Buffer.from(given, 'utf8'));
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
  if (!sameMac(macOf(secret, tracking), mac)) return null;
  return { localPart, domain, trackingId: tracking.toUpperCase() };
}

export interface MemberReplyAddressParts extends ReplyAddressParts {
  /** The team member (user id) the address was given to. */
  userId: string;
}

/** A member's reply address for a report: `<localPart>+m-<tracking id>-<mac(tracking id, user id)>@<domain>`. */
export function memberReplyAddressFor(secret: Buffer, parts: MemberReplyAddressParts): string {
  const tracking = parts.trackingId.toLowerCase();
  if (!TRACKING.test(tracking)) throw new Error(`not a tracking id: ${parts.trackingId}`);
  const local = parts.localPart.toLowerCase();
  return `${local}+m-${tracking}-${macOf(secret, tracking, parts.userId)}@${parts.domain.toLowerCase()}`;
}

/** The shape of a member reply address (MAC not checked yet): tells which report's members to ask about. */
export function memberReplyShape(address: string): ReplyAddressParts | null {
  const match = MEMBER_REPLY.exec(address.trim().toLowerCase());
  if (!match) return null;
  const [, localPart = '', tracking = '', , domain = ''] = match;
  return { localPart, domain, trackingId: tracking.toUpperCase() };
}

/**
 * The parts of a member reply address whose MAC is right for one of `userIds` (the project's
 * members; each compared in constant time), or null.
 */
export function parseMemberReplyAddress(
  secret: Buffer,
  address: string,
  userIds: readonly string[],
): MemberReplyAddressParts | null {
  const match = MEMBER_REPLY.exec(address.trim().toLowerCase());
  if (!match) return null;
  const [, localPart = '', tracking = '', mac = '', domain = ''] = match;
  const userId = userIds.find((id) => sameMac(macOf(secret, tracking, id), mac));
  return userId === undefined ? null : { localPart, domain, trackingId: tracking.toUpperCase(), userId };
}
