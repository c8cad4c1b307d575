import type { ComponentChildren, VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import type { Config } from '../../config.js';

/** What every template produces: one subject, a plain-text body and an HTML body saying the same. */
export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

export interface TemplateContext {
  config: Pick<Config, 'publicUrl'>;
}

const FOOTER = 'This is an automated message from Embargo, the security response service of this project.';

/**
 * A subject is one header line: control characters (a newline would start another header) and
 * runs of spaces collapse to one space.
 */
export function subjectLine(...parts: string[]): string {
  return parts
    .join('')
    .replace(/[\p{Cc}\s]+/gu, ' ')
    .trim()
    .slice(0, 250);
}

/** `[Project] Report R-XXXX-XXXX: what happened`: ids and states only, never a report's words. */
export function reportSubject(projectName: string, trackingId: string, what: string): string {
  return subjectLine(`[${projectName}] Report ${trackingId}: ${what}`);
}

/** Paragraphs joined by blank lines, with the automated-message footer. */
export function textBody(paragraphs: (string | null | false)[]): string {
  const kept = paragraphs.filter((p): p is string => typeof p === 'string' && p.length > 0);
  return `${[...kept, `-- \n${FOOTER}`].join('\n\n')}\n`;
}

/** ISO timestamps as people read them in a mail: `2026-03-03 09:00 UTC`. */
export function formatUtc(isoText: string): string {
  const date = new Date(isoText);
  if (Number.isNaN(date.getTime())) return isoText;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function EmailLayout({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{title}</title>
      </head>
      <body>
        {children}
        <hr />
        <p>
          <small>{FOOTER}</small>
        </p>
      </body>
    </html>
  );
}

/** Renders a template's body inside the mail layout; JSX escapes every interpolated value. */
export function htmlBody(title: string, body: VNode): string {
  return `<!doctype html>\n${renderToString(<EmailLayout title={title}>{body}</EmailLayout>)}`;
}
