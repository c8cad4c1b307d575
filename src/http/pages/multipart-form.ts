import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { AttachmentInput } from '../../domain/reports/attachments.js';
import { DomainError } from '../../errors.js';

/**
 * Makes the routes of one module (and no other) accept multipart/form-data. Call it inside an
 * encapsulated route module: with attachFieldsToBody the whole body (files included, up to the
 * limits below) is read in preValidation, before the CSRF check and the handler, so only the
 * routes that take uploads may do it; everywhere else a multipart body is refused unread (415).
 */
export async function acceptMultipart(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(multipart, {
    attachFieldsToBody: true,
    limits: {
      fileSize: config.intake.maxAttachmentBytes,
      files: config.intake.maxAttachments,
      fields: 40,
      fieldSize: 1024 * 1024,
      parts: 60,
    },
    throwFileSizeLimit: true,
  });
}

/** A browser form's text fields and files, whatever encoding it came in. */
export interface SubmittedForm {
  fields: Record<string, string>;
  files: AttachmentInput[];
}

// @fastify/multipart (attachFieldsToBody: true) puts each part on the body under its field name:
// text fields as { type: 'field', value }, files as { type: 'file', filename, mimetype, _buf },
// and an array when a name repeats. URL-encoded forms arrive as plain strings.
interface FieldPart {
  type: 'field';
  value: unknown;
  valueTruncated?: boolean;
}
interface FilePart {
  type: 'file';
  filename?: string;
  mimetype?: string;
  _buf?: Buffer | null;
}

function isPart(value: unknown): value is FieldPart | FilePart {
  return typeof value === 'object' && value !== null && 'type' in value;
}

/**
 * Reads the body of a form post. An empty file input (no file chosen) is skipped; a text field cut
 * short by the multipart field size limit is refused rather than stored truncated.
 */
export function readSubmittedForm(request: FastifyRequest): SubmittedForm {
  const fields: Record<string, string> = {};
  const files: AttachmentInput[] = [];
  const body = (request.body ?? {}) as Record<string, unknown>;
  for (const [name, raw] of Object.entries(body)) {
    for (const item of Array.isArray(raw) ? raw : [raw]) {
      if (typeof item === 'string') {
        fields[name] ??= item;
      } else if (isPart(item) && item.type === 'field') {
        if (item.valueTruncated) throw new DomainError('PAYLOAD_TOO_LARGE', `The field "${name}" is too long.`);
        if (typeof item.value === 'string') fields[name] ??= item.value;
      } else if (isPart(item) && item.type === 'file') {
        const content = item._buf ?? Buffer.alloc(0);
        if (!item.filename && content.length === 0) continue;
        files.push({
          filename: item.filename ?? '',
          contentType: item.mimetype ?? 'application/octet-stream',
          content,
        });
      }
    }
  }
  return { fields, files };
}

/** An optional field as the services take it: absent and blank are the same. */
export function optional(fields: Record<string, string>, name: string): string | null {
  const value = fields[name];
  return value?.trim() ? value : null;
}
