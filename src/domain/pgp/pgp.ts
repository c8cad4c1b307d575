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
  | { status: 'verified'; fingerprint: string; userId: string | null }
  | { status: 'unverified'; keyId: string }
  | { status: 'invalid'; keyId: string | null; reason: string };

/** `9070 E2FB A182 ...`: upper case in groups of four, as GnuPG prints it and people compare it. */
export function formatFingerprint(fingerprint: string): string {
  return (
    fingerprint
      .toUpperCase()
      .match(/.{1,4}/g)
      ?.join(' ') ?? ''
  );
}
