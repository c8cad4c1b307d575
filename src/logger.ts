import pino, { type Logger } from 'pino';

export type { Logger };

// Paths that carry a bearer secret right after /status/, /setup/ or /reset/ (pages, and the same
// under the JSON API), a distributor's acknowledgement link (/distributor/ack/), and a mailing
// list's confirmation and unsubscribe links (/p/<slug>/lists/confirm/, .../unsubscribe/), and a
// dependent's confirmation and manage links (/dependents/confirm/, /dependents/manage/); the
// logged URL keeps the route but not the secret.
const SECRET_PATH =
  /^((?:\/api\/v\d+)?\/(?:status|setup|reset|distributor\/ack|dependents\/(?:confirm|manage)|p\/[^/?#]+\/lists\/(?:confirm|unsubscribe))\/)[^/?#]+/;

/** Removes secrets from a URL before it is logged: status and setup tokens, and every query value. */
export function redactUrl(url: string): string {
  const [pathPart = '', query] = url.split('?', 2);
  const path = pathPart.replace(SECRET_PATH, '$1[redacted]');
  if (query === undefined) return path;
  const keys = query
    .split('&')
    .map((kv) => kv.split('=', 1)[0])
    .filter(Boolean);
  return `${path}?${keys.map((k) => `${k}=[redacted]`).join('&')}`;
}

export interface LoggerOptions {
  level: string;
  /** Where to write; defaults to stdout. Tests pass a stream to inspect what is logged. */
  stream?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      // Never log credentials, cookies or bodies; request logs carry method, redacted URL and status.
      redact: {
        paths: [
          'req.headers.cookie',
          'req.headers.authorization',
          'res.headers["set-cookie"]',
          '*.password',
          '*.token',
        ],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: { method?: string; url?: string; ip?: string }) => ({
          method: req.method,
          url: req.url ? redactUrl(req.url) : undefined,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
    },
    options.stream,
  );
}
