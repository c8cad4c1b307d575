import crypto from 'node:crypto';
import type { Config } from '../../config.js';
import { DomainError } from '../../errors.js';

/** A file as uploaded, before it is checked and stored. */
export interface AttachmentInput {
  filename: string;
  /** As declared by the client; informational only (downloads are always octet-stream). */
  contentType: string;
  content: Buffer;
}

/** A file that passed the checks, ready to store. */
export interface CheckedAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
  size: number;
  sha256: string;
}

const MAX_FILENAME = 200;

/**
 * A name safe to store and to offer back in Content-Disposition: the last path segment only,
 * without control, quoting or reserved characters, and no leading dots (no hidden or `..` names).
 */
export function sanitizeFilename(raw: string): string {
  const base = raw.split(/[/\\]/).pop() ?? '';
  const cleaned = base
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}"*:<>?|]/gu, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '');
  if (!cleaned) return 'attachment';
  if (cleaned.length <= MAX_FILENAME) return cleaned;
  // Keep a short extension so the downloaded file still opens with the right program.
  const ext = /\.[A-Za-z0-9]{1,10}$/.exec(cleaned)?.[0] ?? '';
  return cleaned.slice(0, MAX_FILENAME - ext.length) + ext;
}

/** A well-formed `type/subtype`, or application/octet-stream. */
export function sanitizeContentType(raw: string): string {
  const type = raw.split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,127}$/.test(type)
    ? type
    : 'application/octet-stream';
}

/** Checks count, names and sizes of a submission's files; throws before anything is stored. */
export function checkAttachments(config: Config, files: readonly AttachmentInput[]): CheckedAttachment[] {
  const { maxAttachments, maxAttachmentBytes } = config.intake;
  if (files.length > maxAttachments) {
    throw new DomainError('TOO_MANY_ATTACHMENTS', `At most ${maxAttachments} attachments can be sent at once.`, {
      max: maxAttachments,
    });
  }
  return files.map((file, index) => {
    if (!file.filename.trim()) {
      throw new DomainError('VALIDATION_FAILED', 'Every attachment needs a file name.', {
        field: `attachments/${index}/filename`,
      });
    }
    if (file.content.length > maxAttachmentBytes) {
      throw new DomainError(
        'PAYLOAD_TOO_LARGE',
        `Each attachment can be at most ${Math.floor(maxAttachmentBytes / (1024 * 1024))} MB.`,
        { field: `attachments/${index}`, maxBytes: maxAttachmentBytes },
      );
    }
    return {
      filename: sanitizeFilename(file.filename),
      contentType: sanitizeContentType(file.contentType),
      content: file.content,
      size: file.content.length,
      sha256: crypto.createHash('sha256').update(file.content).digest('hex'),
    };
  });
}
