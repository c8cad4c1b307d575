import crypto from 'node:crypto';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import type * as openpgp from 'openpgp';
import { encryptEntity } from '../domain/pgp/encrypt.js';
import type { OutgoingMessage } from './transport.js';

// RFC 3156 section 4: an OpenPGP-encrypted email is multipart/encrypted with a version part and an
// application/octet-stream part holding the armored message, whose plaintext is the MIME entity a
// plain email would have had (here: text and HTML alternatives).

const CRLF = '\r\n';

function base64Body(text: string): string {
  return (
    Buffer.from(text, 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? []
  ).join(CRLF);
}

/** The text and HTML bodies as one multipart/alternative entity (headers and body, CRLF line breaks). */
export function alternativeEntity(bodies: { text: string; html: string }): Buffer {
  const boundary = `=_embargo_${crypto.randomBytes(12).toString('hex')}`;
  const part = (type: string, content: string) =>
    [
      `--${boundary}`,
      `Content-Type: ${type}; charset=utf-8`,
      'Content-Transfer-Encoding: base64',
      '',
      base64Body(content),
    ].join(CRLF);
  return Buffer.from(
    [
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
      '',
      part('text/plain', bodies.text),
      part('text/html', bodies.html),
      `--${boundary}--`,
      '',
    ].join(CRLF),
    'utf8',
  );
}

/** RFC 2231-free filename for a header parameter: printable ASCII without quotes or backslashes. */
const safeFilename = (name: string) => name.replace(/[^ -~]|["\\]/g, '_').slice(0, 200) || 'attachment';

/**
 * The message's content as one entity: the text and HTML alternatives, and when there are
 * attachments, a multipart/mixed around them and each file (base64).
 */
export function contentEntity(message: Pick<OutgoingMessage, 'text' | 'html' | 'attachments'>): Buffer {
  const alternative = alternativeEntity(message);
  if (!message.attachments?.length) return alternative;
  const boundary = `=_embargo_${crypto.randomBytes(12).toString('hex')}`;
  const files = message.attachments.map((a) => {
    const name = safeFilename(a.filename);
    return [
      `--${boundary}`,
      `Content-Type: ${a.contentType.replace(/[\r\n;]/g, '')}; charset=utf-8; name="${name}"`,
      `Content-Disposition: attachment; filename="${name}"`,
      'Content-Transfer-Encoding: base64',
      '',
      base64Body(a.content),
    ].join(CRLF);
  });
  return Buffer.concat([
    Buffer.from([`Content-Type: multipart/mixed; boundary="${boundary}"`, '', `--${boundary}`, ''].join(CRLF)),
    alternative,
    Buffer.from([CRLF + files.join(CRLF), `--${boundary}--`, ''].join(CRLF)),
  ]);
}

/**
 * The whole message, ready to send as is: the same From, To, Subject, Message-ID and extra headers a
 * plain send would carry, around the encrypted entity. Only the subject and addresses travel in clear.
 */
export async function encryptedMessage(
  message: OutgoingMessage,
  options: { recipientKey: string; signingKey: openpgp.PrivateKey | null; date: Date },
): Promise<Buffer> {
  const armored = await encryptEntity({
    entity: contentEntity(message),
    recipientKey: options.recipientKey,
    signingKey: options.signingKey,
    date: options.date,
  });
  const root = new MimeNode('multipart/encrypted; protocol="application/pgp-encrypted"', { newline: CRLF });
  root.setHeader({
    From: message.from,
    To: message.to,
    Subject: message.subject,
    'Message-ID': message.messageId,
    Date: options.date.toUTCString(),
    ...message.headers,
  });
  root.setHeader('Content-Description', 'OpenPGP encrypted message');
  const version = root.createChild('application/pgp-encrypted');
  version.setHeader({ 'Content-Description': 'PGP/MIME version identification', 'Content-Transfer-Encoding': '7bit' });
  version.setContent(`Version: 1${CRLF}`);
  const payload = root.createChild('application/octet-stream; name="encrypted.asc"');
  payload.setHeader({
    'Content-Description': 'OpenPGP encrypted message',
    'Content-Disposition': 'inline; filename="encrypted.asc"',
    'Content-Transfer-Encoding': '7bit',
  });
  payload.setContent(armored);
  return new Promise((resolve, reject) => root.build((err, built) => (err ? reject(err) : resolve(built))));
}
