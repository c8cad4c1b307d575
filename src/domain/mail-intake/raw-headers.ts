// Reads a header straight from the raw bytes, without a MIME parser: used when a message is stored
// (to index its Message-ID) and may not even parse. Only the header block is looked at, bounded, so
// a huge or hostile message costs no more than its first bytes.

const MAX_HEADER_BYTES = 256 * 1024;
const MAX_VALUE = 998;

/** The header block of a raw message (up to the first empty line), unfolded, as lines. */
export function headerLines(raw: Buffer): string[] {
  const head = raw.subarray(0, MAX_HEADER_BYTES).toString('latin1');
  const end = /\r?\n\r?\n/.exec(head);
  const block = end ? head.slice(0, end.index) : head;
  // Unfold: a line starting with white space continues the previous header (RFC 5322 2.2.3).
  return block.split(/\r?\n(?![ \t])/).map((line) => line.replace(/\r?\n[ \t]+/g, ' '));
}

/** The first value of header `name` (case-insensitive), trimmed and bounded, or null. */
export function rawHeader(raw: Buffer, name: string): string | null {
  const prefix = `${name.toLowerCase()}:`;
  for (const line of headerLines(raw)) {
    if (line.toLowerCase().startsWith(prefix)) {
      const value = line.slice(prefix.length).trim();
      return value ? value.slice(0, MAX_VALUE) : null;
    }
  }
  return null;
}

/** The `<id@host>` Message-ID of a raw message, or null when absent or odd-looking. */
export function rawMessageId(raw: Buffer): string | null {
  const match = /<[^<>\s]{1,900}>/.exec(rawHeader(raw, 'message-id') ?? '');
  return match ? match[0] : null;
}

// RFC 2047 encoded words: =?charset?B|Q?text?=
const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

function decodeWord(charset: string, encoding: string, text: string): string {
  const bytes =
    encoding.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64')
      : Buffer.from(
          text
            .replace(/_/g, ' ')
            .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          'latin1',
        );
  try {
    return new TextDecoder(charset.split('*')[0]?.toLowerCase() ?? 'utf-8').decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** A header value for display: encoded words decoded, control characters dropped. */
export function decodeHeaderText(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?') // white space between adjacent encoded words is not part of the text
    .replace(ENCODED_WORD, (_m, charset: string, encoding: string, text: string) => decodeWord(charset, encoding, text))
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim();
}
