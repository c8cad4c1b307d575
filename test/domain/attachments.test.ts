import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { checkAttachments, sanitizeContentType, sanitizeFilename } from '../../src/domain/reports/attachments.js';
import { contentDisposition } from '../../src/http/pages/download.js';

describe('attachment names and types', () => {
  it('keeps only a safe base name', () => {
    expect(sanitizeFilename('../../etc/passwd')).toBe('passwd');
    expect(sanitizeFilename('C:\\Users\\me\\poc.py')).toBe('poc.py');
    expect(sanitizeFilename('..')).toBe('attachment');
    expect(sanitizeFilename('.htaccess')).toBe('htaccess');
    expect(sanitizeFilename('a"b<c>\r\nd.txt')).toBe('abcd.txt');
    expect(sanitizeFilename('rapport\u202Egnp.exe')).toBe('rapportgnp.exe');
    expect(sanitizeFilename(`${'x'.repeat(300)}.tar.gz`)).toMatch(/^x{197}\.gz$/);
  });

  it('keeps a well-formed content type and replaces anything else', () => {
    expect(sanitizeContentType('Text/Plain; charset=utf-8')).toBe('text/plain');
    expect(sanitizeContentType('text/html\r\nX-Evil: 1')).toBe('application/octet-stream');
    expect(sanitizeContentType('')).toBe('application/octet-stream');
  });

  it('checks count and size before anything is stored', () => {
    const config = loadConfig({});
    const one = { filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('a') };
    expect(checkAttachments(config, [one])[0]).toMatchObject({ filename: 'a.txt', size: 1 });
    expect(() => checkAttachments(config, Array(6).fill(one))).toThrow(
      expect.objectContaining({ code: 'TOO_MANY_ATTACHMENTS' }),
    );
    const big = { ...one, content: Buffer.alloc(config.intake.maxAttachmentBytes + 1) };
    expect(() => checkAttachments(config, [big])).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
    expect(() => checkAttachments(config, [{ ...one, filename: ' ' }])).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });

  it('offers files for download under an encoded name that cannot break the header', () => {
    expect(contentDisposition("it's (a) test*.txt")).toBe(
      "attachment; filename*=UTF-8''it%27s%20%28a%29%20test%2A.txt",
    );
    expect(contentDisposition('x";\r\n.html')).toBe("attachment; filename*=UTF-8''x%22%3B%0D%0A.html");
  });
});
