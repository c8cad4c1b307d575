import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../src/logger.js';

// Every path that carries a bearer secret is logged without it; query values never are.
describe('redactUrl', () => {
  it.each([
    ['/status/AbCdEf0123456789abcdef', '/status/[redacted]'],
    ['/api/v1/status/AbCdEf0123456789abcdef/messages', '/api/v1/status/[redacted]/messages'],
    ['/setup/s3cr3t', '/setup/[redacted]'],
    ['/distributor/ack/T0k3nT0k3nT0k3n', '/distributor/ack/[redacted]'],
    ['/p/demo/lists/confirm/T0k3nT0k3nT0k3n', '/p/demo/lists/confirm/[redacted]'],
    ['/p/demo/lists/unsubscribe/0f0c1a2b-id.mac', '/p/demo/lists/unsubscribe/[redacted]'],
    ['/p/demo/lists/confirm', '/p/demo/lists/confirm'],
    ['/distributor/notices/abc', '/distributor/notices/abc'],
    ['/p/demo/cases/3?cwe_q=overflow', '/p/demo/cases/3?cwe_q=[redacted]'],
  ])('%s -> %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });
});
