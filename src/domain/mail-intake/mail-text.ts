import type { AttachmentInput } from '../reports/attachments.js';
import type { CheckedAttachment } from '../reports/attachments.js';

const NO_TEXT = '(The message had no text.)';

/**
 * The text of a message as a report description or reply body of at most `limit` characters.
 * Longer text is cut, and the whole of it comes along as `message.txt`, so nothing is lost.
 */
export function fitText(
  text: string,
  limit: number,
  attachments: readonly CheckedAttachment[],
): { text: string; attachments: AttachmentInput[] } {
  const files: AttachmentInput[] = attachments.map((a) => ({
    filename: a.filename,
    contentType: a.contentType,
    content: a.content,
  }));
  if (text.trim() === '') return { text: NO_TEXT, attachments: files };
  if (text.length <= limit) return { text, attachments: files };
  const note = '\n\n[The message is longer than this: the whole text is attached as message.txt.]';
  const full = { filename: 'message.txt', contentType: 'text/plain', content: Buffer.from(text, 'utf8') };
  return { text: text.slice(0, limit - note.length) + note, attachments: [...files, full] };
}
