import type { AttachmentInput, CheckedAttachment } from '../reports/attachments.js';

const NO_TEXT = '(The message had no text.)';

/** The text and files to file, or why the message cannot be filed whole (it is quarantined then). */
export type FittedText = { text: string; attachments: AttachmentInput[] } | { refused: string };

/**
 * The text of a message as a report description or reply body of at most `limit` characters.
 * Longer text is cut, and the whole of it comes along as `message.txt`, so nothing is lost. When
 * that file cannot be added (the message already has the most attachments allowed, or the text is
 * larger than an attachment may be), the message is refused with the reason rather than filed with
 * its tail silently gone: in quarantine its raw copy is kept for a person to file by hand.
 */
export function fitText(
  text: string,
  options: { limit: number; attachments: readonly CheckedAttachment[]; maxAttachments: number; maxBytes: number },
): FittedText {
  const { limit } = options;
  const files: AttachmentInput[] = options.attachments.map((a) => ({
    filename: a.filename,
    contentType: a.contentType,
    content: a.content,
  }));
  if (text.trim() === '') return { text: NO_TEXT, attachments: files };
  if (text.length <= limit) return { text, attachments: files };
  const content = Buffer.from(text, 'utf8');
  if (files.length >= options.maxAttachments) {
    return {
      refused:
        `The text is longer than ${limit} characters and the message already has ${files.length} attachments ` +
        `(the most allowed), so the whole text cannot be attached as message.txt.`,
    };
  }
  if (content.length > options.maxBytes) {
    return { refused: `The text is longer than ${limit} characters and too large to attach as message.txt.` };
  }
  const note = '\n\n[The message is longer than this: the whole text is attached as message.txt.]';
  const full = { filename: 'message.txt', contentType: 'text/plain', content };
  return { text: text.slice(0, limit - note.length) + note, attachments: [...files, full] };
}
