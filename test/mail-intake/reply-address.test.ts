import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  memberReplyAddressFor,
  memberReplyShape,
  parseMemberReplyAddress,
  parseReplyAddress,
  replyAddressFor,
} from '../../src/domain/mail-intake/reply-address.js';

const secret = crypto.randomBytes(32);
const parts = { localPart: 'security', domain: 'mail.example.org', trackingId: 'R-7KQ2-9XHD' };

describe('reply addresses', () => {
  it('round-trips: the address names the report, and parses back to it', () => {
    const address = replyAddressFor(secret, parts);
    expect(address).toMatch(/^security\+r-r-7kq2-9xhd-[0-9a-f]{16}@mail\.example\.org$/);
    expect(parseReplyAddress(secret, address)).toEqual(parts);
  });

  it('is case-insensitive, as mail systems may change the case of an address', () => {
    const address = replyAddressFor(secret, { ...parts, localPart: 'Security', domain: 'Mail.Example.ORG' });
    expect(address).toBe(replyAddressFor(secret, parts));
    expect(parseReplyAddress(secret, address.toUpperCase())).toEqual(parts);
    expect(replyAddressFor(secret, { ...parts, trackingId: 'r-7kq2-9xhd' })).toBe(address);
  });

  it('refuses a tampered MAC', () => {
    const address = replyAddressFor(secret, parts);
    const mac = /-([0-9a-f]{16})@/.exec(address)?.[1] ?? '';
    const flipped = mac.slice(0, -1) + (mac.endsWith('0') ? '1' : '0');
    expect(parseReplyAddress(secret, address.replace(mac, flipped))).toBeNull();
    expect(parseReplyAddress(secret, address.replace(mac, mac.slice(0, 15)))).toBeNull();
  });

  it('refuses the MAC of one report on another tracking id', () => {
    const address = replyAddressFor(secret, parts);
    expect(parseReplyAddress(secret, address.replace('r-7kq2-9xhd', 'r-7kq2-9xhe'))).toBeNull();
  });

  it('refuses an address made with another server key, and anything not shaped like one', () => {
    const other = replyAddressFor(crypto.randomBytes(32), parts);
    expect(parseReplyAddress(secret, other)).toBeNull();
    expect(parseReplyAddress(secret, 'security@mail.example.org')).toBeNull();
    expect(parseReplyAddress(secret, 'security+r-r-7kq2-9xhd@mail.example.org')).toBeNull();
  });

  it('keeps a local part that has a + of its own', () => {
    const address = replyAddressFor(secret, { ...parts, localPart: 'sec+team' });
    expect(parseReplyAddress(secret, address)).toEqual({ ...parts, localPart: 'sec+team' });
  });

  it('gives each member an address of their own, which names them only with the right MAC and tracking id', () => {
    const mia = crypto.randomUUID();
    const max = crypto.randomUUID();
    const address = memberReplyAddressFor(secret, { ...parts, userId: mia });
    // Short enough for the 64-character limit on a local part (RFC 5321), with a usual intake name.
    expect(address.split('@')[0]?.length).toBeLessThanOrEqual(64);
    expect(address).not.toBe(memberReplyAddressFor(secret, { ...parts, userId: max }));
    expect(parseMemberReplyAddress(secret, address, [max, mia])).toEqual({ ...parts, userId: mia });
    expect(parseMemberReplyAddress(secret, address.toUpperCase(), [mia])).toEqual({ ...parts, userId: mia });
    expect(memberReplyShape(address)).toEqual(parts);
    // Not a member of the project (any more), another report, another server key: nobody.
    expect(parseMemberReplyAddress(secret, address, [max])).toBeNull();
    expect(parseMemberReplyAddress(secret, address.replace('r-7kq2-9xhd', 'r-7kq2-9xhe'), [mia])).toBeNull();
    expect(parseMemberReplyAddress(crypto.randomBytes(32), address, [mia])).toBeNull();
  });

  it("never takes a report's reply address for a member's, nor the reverse", () => {
    const userId = crypto.randomUUID();
    const reportAddress = replyAddressFor(secret, parts);
    const memberAddress = memberReplyAddressFor(secret, { ...parts, userId });
    expect(parseReplyAddress(secret, memberAddress)).toBeNull();
    expect(parseMemberReplyAddress(secret, reportAddress, [userId])).toBeNull();
    // The same MAC under the other prefix is refused too.
    expect(parseMemberReplyAddress(secret, reportAddress.replace('+r-', '+m-'), [userId])).toBeNull();
    expect(parseReplyAddress(secret, memberAddress.replace('+m-', '+r-'))).toBeNull();
  });
});
