// security.txt (RFC 9116): the writer of a project's file and a parser that reads any such file,
// signed or not, and lists what is wrong with it. Section numbers below are RFC 9116's; the CSAF
// field is CSAF 2.0 section 7.1.8 (requirement 8), registered in IANA's security.txt registry.

/** What the file says; the caller computes `expires` from its own clock (RFC 9116 2.5.5). */
export interface SecurityTxtInput {
  contacts: string[];
  /** An ISO 8601 / RFC 3339 instant with a zone; written in UTC. */
  expires: string;
  encryption: string[];
  acknowledgments: string[];
  preferredLanguages: string[];
  canonical: string[];
  policy: string[];
  hiring: string[];
  csaf: string[];
  /** Written as `#` comment lines at the top of the file. */
  comment?: string;
}

export type SecurityTxtProblemCode =
  | 'missing-contact'
  | 'missing-expires'
  | 'duplicate-expires'
  | 'invalid-expires'
  | 'expired'
  | 'expires-too-far'
  | 'duplicate-preferred-languages'
  | 'invalid-language-tag'
  | 'invalid-uri'
  | 'insecure-uri'
  | 'unexpected-scheme'
  | 'unknown-field'
  | 'invalid-line'
  | 'invalid-signature-framing';

export interface SecurityTxtProblem {
  code: SecurityTxtProblemCode;
  /** 'warning': allowed by the RFC but worth a look (an unknown field, an Expires over a year away). */
  level: 'error' | 'warning';
  /** 1-based line in the text given, or null for a problem of the whole file. */
  line: number | null;
  message: string;
}

export interface ParsedSecurityTxt {
  /** Whether the file was an OpenPGP cleartext-signed message (the signature itself is not checked here). */
  signed: boolean;
  contacts: string[];
  /** The first Expires value as written, or null. */
  expires: string | null;
  encryption: string[];
  acknowledgments: string[];
  preferredLanguages: string[];
  canonical: string[];
  policy: string[];
  hiring: string[];
  csaf: string[];
  /** Comment lines without their `#` and the one space after it. */
  comments: string[];
  /** Fields this parser does not know, kept as written (RFC 9116 2.4: readers must ignore them). */
  unknown: { name: string; value: string; line: number }[];
  problems: SecurityTxtProblem[];
}

type ListField = 'contacts' | 'encryption' | 'acknowledgments' | 'canonical' | 'policy' | 'hiring' | 'csaf';

/** Field names (case-insensitive, 2.5) of the URI fields, with the schemes each is expected to use. */
const URI_FIELDS: Record<string, { key: ListField; name: string; schemes: readonly string[] }> = {
  acknowledgments: { key: 'acknowledgments', name: 'Acknowledgments', schemes: ['https'] },
  canonical: { key: 'canonical', name: 'Canonical', schemes: ['https'] },
  // 2.5.3: e-mail addresses and phone numbers as mailto: and tel: URIs.
  contact: { key: 'contacts', name: 'Contact', schemes: ['https', 'mailto', 'tel'] },
  // 2.5.4 gives a web URL, an OPENPGPKEY DNS record and a fingerprint as examples.
  encryption: { key: 'encryption', name: 'Encryption', schemes: ['https', 'dns', 'openpgp4fpr'] },
  hiring: { key: 'hiring', name: 'Hiring', schemes: ['https'] },
  policy: { key: 'policy', name: 'Policy', schemes: ['https'] },
  csaf: { key: 'csaf', name: 'CSAF', schemes: ['https'] },
};

/** RFC 3339 section 5.6 date-time; T and Z may be lower case (its section 5.6 note). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
/** RFC 5646 Language-Tag, in the shape most tags take (language, then subtags of up to 8 characters). */
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;
const URI = /^([A-Za-z][A-Za-z0-9+.-]*):\S+$/;
/** RFC 5322 3.6.8 field-name: printable US-ASCII except the colon. */
const FIELD = /^([\x21-\x39\x3b-\x7e]+):([ \t]*)(.*?)[ \t]*$/;
const KNOWN = new Set([...Object.keys(URI_FIELDS), 'expires', 'preferred-languages']);
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

/** 2.1 and 4: what a value or comment may hold; a line break would start a field of its own. */
function checkText(text: string, what: string): void {
  if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(text)) {
    throw new RangeError(`security.txt: ${what} must be one line of text without control characters.`);
  }
}

function checkUri(value: string, name: string): string {
  checkText(value, name);
  if (!URI.test(value)) throw new RangeError(`security.txt: ${name} must be a URI, not ${JSON.stringify(value)}.`);
  return value;
}

/**
 * The unsigned file, fields in the order of RFC 9116's field list; every line ends with LF (2.2).
 * Throws RangeError on what would make the file malformed: no Contact, an Expires that is not an
 * instant with a zone, a value that is not a URI, a line break in any value or the comment. Whether
 * each URI is https (or mailto:, tel: ...) is a question of the file's content, not of its syntax:
 * parseSecurityTxt answers it, so a caller can show the problems of the file it is about to serve.
 */
export function toSecurityTxt(input: SecurityTxtInput): string {
  if (input.contacts.length === 0) throw new RangeError('security.txt: at least one Contact is required (2.5.3).');
  if (!DATE_TIME.test(input.expires) || Number.isNaN(Date.parse(input.expires))) {
    throw new RangeError(`security.txt: Expires must be an RFC 3339 date-time with a zone, not ${input.expires}.`);
  }
  for (const tag of input.preferredLanguages) {
    if (!LANGUAGE_TAG.test(tag)) throw new RangeError(`security.txt: ${JSON.stringify(tag)} is not a language tag.`);
  }
  const lines: string[] = [];
  if (input.comment !== undefined) {
    for (const line of input.comment.split(/\r?\n/)) {
      checkText(line, 'a comment');
      lines.push(line === '' ? '#' : `# ${line}`);
    }
  }
  const uris = (name: string, values: string[]) =>
    values.forEach((value) => lines.push(`${name}: ${checkUri(value, name)}`));
  uris('Contact', input.contacts);
  lines.push(`Expires: ${new Date(input.expires).toISOString()}`);
  uris('Encryption', input.encryption);
  uris('Acknowledgments', input.acknowledgments);
  if (input.preferredLanguages.length > 0) lines.push(`Preferred-Languages: ${input.preferredLanguages.join(', ')}`);
  uris('Canonical', input.canonical);
  uris('Policy', input.policy);
  uris('Hiring', input.hiring);
  uris('CSAF', input.csaf);
  return `${lines.join('\n')}\n`;
}

interface Line {
  text: string;
  number: number;
}

const BEGIN_SIGNED = '-----BEGIN PGP SIGNED MESSAGE-----';
const BEGIN_SIGNATURE = '-----BEGIN PGP SIGNATURE-----';
const END_SIGNATURE = '-----END PGP SIGNATURE-----';

/**
 * The signed text of an OpenPGP cleartext signature (RFC 4880 section 7): after the armor header
 * line, its `Hash:` headers and one empty line, up to the signature's armor. A line the signer
 * dash-escaped (7.1) starts with "- ", which is removed; a line starting with "-" otherwise cannot
 * be in a well-formed message. Text after the signature is not signed, so it is reported.
 */
function unwrapSigned(lines: Line[], problem: (p: Omit<SecurityTxtProblem, 'level'>) => void): Line[] {
  let i = 1;
  while (i < lines.length && lines[i]?.text.trim() !== '') {
    if (!/^[A-Za-z-]+: /.test(lines[i]?.text ?? '')) {
      problem({
        code: 'invalid-signature-framing',
        line: lines[i]?.number ?? null,
        message: 'The armor headers of a signed message (such as "Hash: SHA256") must end with an empty line.',
      });
    }
    i++;
  }
  const body: Line[] = [];
  for (i++; i < lines.length; i++) {
    const line = lines[i] as Line;
    if (line.text === BEGIN_SIGNATURE) break;
    if (line.text.startsWith('- ')) body.push({ text: line.text.slice(2), number: line.number });
    else if (line.text.startsWith('-')) {
      problem({
        code: 'invalid-signature-framing',
        line: line.number,
        message: 'A signed line starting with "-" must be dash-escaped as "- -" (RFC 4880 7.1).',
      });
    } else body.push(line);
  }
  const end = lines.findIndex((line, at) => at > i && line.text === END_SIGNATURE);
  if (i >= lines.length || end < 0) {
    problem({
      code: 'invalid-signature-framing',
      line: null,
      message: `A signed message must end with a signature between "${BEGIN_SIGNATURE}" and "${END_SIGNATURE}".`,
    });
  } else {
    const after = lines.slice(end + 1).find((line) => line.text.trim() !== '');
    if (after) {
      problem({
        code: 'invalid-signature-framing',
        line: after.number,
        message: 'Text after the signature is not covered by it.',
      });
    }
  }
  return body;
}

/**
 * Reads a security.txt file, CRLF or LF, signed or not, and lists its problems: a missing Contact
 * (2.5.3), a missing, repeated or malformed Expires (2.5.5), an Expires already past or over a year
 * after `now` when it is given, a web URI that is not https (2.5), a repeated Preferred-Languages
 * (2.5.8), an unknown field (kept, as a warning), a line that is neither a field nor a comment (4).
 */
export function parseSecurityTxt(text: string, options: { now?: Date | string } = {}): ParsedSecurityTxt {
  const out: ParsedSecurityTxt = {
    signed: false,
    contacts: [],
    expires: null,
    encryption: [],
    acknowledgments: [],
    preferredLanguages: [],
    canonical: [],
    policy: [],
    hiring: [],
    csaf: [],
    comments: [],
    unknown: [],
    problems: [],
  };
  const error = (p: Omit<SecurityTxtProblem, 'level'>) => out.problems.push({ ...p, level: 'error' });
  const warning = (p: Omit<SecurityTxtProblem, 'level'>) => out.problems.push({ ...p, level: 'warning' });

  // 2.2: a line ends with CRLF or LF; a byte order mark is not text of the first line.
  let lines: Line[] = text
    .replace(/^\uFEFF/, '')
    .split('\n')
    .map((raw, i) => ({ text: raw.replace(/\r$/, ''), number: i + 1 }));
  if (lines.at(-1)?.text === '') lines.pop();
  const first = lines.find((line) => line.text.trim() !== '');
  if (first?.text.trim() === BEGIN_SIGNED) {
    out.signed = true;
    lines = unwrapSigned(lines.slice(lines.indexOf(first)), error);
  }

  let expiresAt: { value: string; line: number } | null = null;
  let languagesLine: number | null = null;
  for (const { text: line, number } of lines) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      out.comments.push(line.slice(1).replace(/^ /, ''));
      continue;
    }
    const field = FIELD.exec(line);
    const name = field?.[1];
    const value = field?.[3] ?? '';
    // The grammar puts a space after the colon (4); a known name is read without it, but a line
    // such as "https://example.com" is no field at all.
    const spaced = field?.[2] !== '';
    if (name === undefined || value === '' || (!spaced && !KNOWN.has(name.toLowerCase()))) {
      error({ code: 'invalid-line', line: number, message: `Not a field ("Name: value") or a comment: ${line}` });
      continue;
    }
    const key = name.toLowerCase();
    // Own keys only: a field named "constructor" must not find Object.prototype's.
    const uri = Object.hasOwn(URI_FIELDS, key) ? URI_FIELDS[key] : undefined;
    if (uri) {
      out[uri.key].push(value);
      const scheme = URI.exec(value)?.[1]?.toLowerCase();
      if (scheme === undefined) {
        error({ code: 'invalid-uri', line: number, message: `${uri.name} must be a URI: ${value}` });
      } else if (scheme === 'http') {
        error({ code: 'insecure-uri', line: number, message: `${uri.name} must use https://, not http://: ${value}` });
      } else if (!uri.schemes.includes(scheme)) {
        const expected = uri.schemes.map((s) => `${s}:`).join(', ');
        warning({ code: 'unexpected-scheme', line: number, message: `${uri.name} usually uses ${expected}: ${value}` });
      }
    } else if (key === 'expires') {
      if (expiresAt !== null) {
        error({ code: 'duplicate-expires', line: number, message: 'Expires must appear only once (2.5.5).' });
        continue;
      }
      expiresAt = { value, line: number };
      out.expires = value;
    } else if (key === 'preferred-languages') {
      if (languagesLine !== null) {
        error({
          code: 'duplicate-preferred-languages',
          line: number,
          message: 'Preferred-Languages must appear only once (2.5.8).',
        });
        continue;
      }
      languagesLine = number;
      for (const tag of value.split(',').map((t) => t.trim())) {
        if (LANGUAGE_TAG.test(tag)) out.preferredLanguages.push(tag);
        else error({ code: 'invalid-language-tag', line: number, message: `Not a language tag: ${tag}` });
      }
    } else {
      out.unknown.push({ name, value, line: number });
      warning({ code: 'unknown-field', line: number, message: `Unknown field ${name}, kept and ignored (2.4).` });
    }
  }

  if (out.contacts.length === 0) {
    error({ code: 'missing-contact', line: null, message: 'A Contact field is required (2.5.3).' });
  }
  if (expiresAt === null) {
    error({ code: 'missing-expires', line: null, message: 'An Expires field is required (2.5.5).' });
  } else if (!DATE_TIME.test(expiresAt.value) || Number.isNaN(Date.parse(expiresAt.value))) {
    error({
      code: 'invalid-expires',
      line: expiresAt.line,
      message: `Expires must be an RFC 3339 date-time with a zone, such as 2021-12-31T18:37:07.000Z: ${expiresAt.value}`,
    });
  } else if (options.now !== undefined) {
    const now = new Date(options.now).getTime();
    const at = Date.parse(expiresAt.value);
    if (at <= now) {
      error({ code: 'expired', line: expiresAt.line, message: `The file expired at ${expiresAt.value}.` });
    } else if (at - now > YEAR_MS) {
      warning({
        code: 'expires-too-far',
        line: expiresAt.line,
        message: 'Expires is more than a year away; less than a year is recommended (2.5.5).',
      });
    }
  }
  return out;
}
