import type { SignatureCheck, SignatureKeySource } from '../pgp/pgp.js';

/**
 * What a message's OpenPGP signature shows the team, judged once the report it belongs to is known.
 * "verified" only when the signing key is the one kept on the report before this message (the
 * reporter's key from the report-creating message): a key sent in the same mail, or known only
 * because an earlier report came from the same (forgeable) From address, proves nothing about
 * who wrote it, so such a signature is shown as signed but not verified.
 */
export type ShownSignature =
  | { status: 'verified'; fingerprint: string; userId: string | null }
  | {
      status: 'not-verified';
      fingerprint: string;
      userId: string | null;
      keyFrom: 'this-mail' | 'earlier-mail' | 'known';
    }
  | { status: 'unverified'; keyId: string }
  | { status: 'invalid'; keyId: string | null; reason: string };

/** Where the key that checked a signature came from, as the unwrap step recorded it. */
function keyFromOf(source: SignatureKeySource | undefined): 'this-mail' | 'earlier-mail' | 'known' {
  switch (source) {
    case 'earlier-report':
      return 'earlier-mail';
    case 'given':
      return 'known';
    default:
      // 'attached', 'autocrypt', or not recorded: assume the weakest.
      return 'this-mail';
  }
}

export function judgeSignature(
  signature: SignatureCheck | null,
  keptFingerprint: string | null,
): ShownSignature | null {
  if (!signature) return null;
  if (signature.status !== 'verified') return signature;
  const { fingerprint, userId } = signature;
  if (keptFingerprint && fingerprint.toLowerCase() === keptFingerprint.toLowerCase()) {
    return { status: 'verified', fingerprint, userId };
  }
  return { status: 'not-verified', fingerprint, userId, keyFrom: keyFromOf(signature.keySource) };
}
