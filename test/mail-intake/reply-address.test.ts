import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseReplyAddress, replyAddressFor } from '../../src/domain/mail-intake/reply-address.js';

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
});
