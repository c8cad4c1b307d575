/** A project's published OpenPGP key. The private half never leaves the service that unseals it. */
export interface ProjectPgpKey {
  projectId: string;
  /** Lowercase hex, as OpenPGP.js gives it; `formatFingerprint` shows it to people. */
  fingerprint: string;
  /** Armored public key, served at /p/<slug>/pgp-key.asc. */
  publicKey: string;
  createdAt: string;
}

/**
 * What a signature on an inbound message proved. `verified`: it matches a key we hold (sent with the
 * message, or known from the same sender); `unverified`: signed, but we hold no key to check it;
 * `invalid`: the signature does not match the signed content, or the key is not valid for it.
 */
export type SignatureCheck =
  | {
      status: 'verified';
      fingerprint: string;
      userId: string | null;
      /** Where the verifying key came from; absent on checks stored before it was recorded. */
      keySource?: SignatureKeySource;
    }
  | { status: 'unverified'; keyId: string }
  | { status: 'invalid'; keyId: string | null; reason: string };

/**
 * Where a key that verified a signature came from, from the most to the least trusted: `given` by the
 * caller (e.g. the key kept on the report), from the same address's `earlier-report`, the message's
 * `autocrypt` header, or `attached` to the message (inside or outside its encryption). Only a key
 * kept before this message proves who signed: anyone can attach a key to a forged mail.
 */
export type SignatureKeySource = 'given' | 'earlier-report' | 'autocrypt' | 'attached';

/** `9070 E2FB A182 ...`: upper case in groups of four, as GnuPG prints it and people compare it. */
export function formatFingerprint(fingerprint: string): string {
  return (
    fingerprint
      .toUpperCase()
      .match(/.{1,4}/g)
      ?.join(' ') ?? ''
  );
}
