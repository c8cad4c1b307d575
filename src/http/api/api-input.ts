import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import type { AttachmentInput } from '../../domain/reports/attachments.js';
import { DomainError } from '../../errors.js';
import type { AttachmentUploadBody } from './schemas.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Base64 attachments of a JSON body as files; sizes and counts are the intake service's to check. */
export function decodeAttachments(list: readonly AttachmentUploadBody[] | undefined): AttachmentInput[] {
  return (list ?? []).map((a, i) => {
    if (a.contentBase64.length % 4 !== 0 || !BASE64.test(a.contentBase64)) {
      throw new DomainError('VALIDATION_FAILED', 'An attachment is not valid base64.', {
        field: `attachments/${i}/contentBase64`,
      });
    }
    return {
      filename: a.filename,
      contentType: a.contentType ?? 'application/octet-stream',
      content: Buffer.from(a.contentBase64, 'base64'),
    };
  });
}

/** The API reads JSON only; as an onRequest hook this refuses other bodies before they are read. */
export async function requireJson(request: FastifyRequest): Promise<void> {
  if (request.method !== 'POST' && request.method !== 'PUT' && request.method !== 'PATCH') return;
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as application/json.');
  }
}

/** Body limit of routes taking attachments: all of them at the size limit in base64 (4/3), plus the text. */
export function attachmentBodyLimit(config: Config): number {
  const { maxAttachments, maxAttachmentBytes } = config.intake;
  return maxAttachments * Math.ceil(maxAttachmentBytes / 3) * 4 + 2 * 1024 * 1024;
}
