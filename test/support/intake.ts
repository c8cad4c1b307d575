import type { FastifyInstance } from 'fastify';
import type { Db } from '../../src/db/types.js';
import { absorbCookies, cookieHeader, csrfFrom } from './factories.js';

export interface UploadFile {
  filename: string;
  content: Buffer | string;
  type?: string;
}

/** A multipart/form-data body as a browser sends it, built by the platform's own FormData. */
export async function multipartBody(
  fields: Record<string, string>,
  files: UploadFile[] = [],
  fileField = 'attachments',
): Promise<{ payload: Buffer; contentType: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  for (const f of files) {
    const part = typeof f.content === 'string' ? f.content : new Uint8Array(f.content);
    form.append(fileField, new Blob([part], { type: f.type ?? 'application/octet-stream' }), f.filename);
  }
  const response = new Response(form);
  const contentType = response.headers.get('content-type');
  if (!contentType) throw new Error('FormData gave no content type');
  return { payload: Buffer.from(await response.arrayBuffer()), contentType };
}

/** A browser at one client address: keeps cookies, reads CSRF tokens from pages, posts multipart forms. */
export class FormClient {
  readonly jar: Record<string, string> = {};

  constructor(
    private readonly app: FastifyInstance,
    readonly remoteAddress = '127.0.0.1',
  ) {}

  async get(url: string) {
    const res = await this.app.inject({
      method: 'GET',
      url,
      remoteAddress: this.remoteAddress,
      headers: { cookie: cookieHeader(this.jar), accept: 'text/html' },
    });
    absorbCookies(this.jar, res.headers['set-cookie']);
    return res;
  }

  async postMultipart(url: string, fields: Record<string, string>, files: UploadFile[] = []) {
    const { payload, contentType } = await multipartBody(fields, files);
    const res = await this.app.inject({
      method: 'POST',
      url,
      remoteAddress: this.remoteAddress,
      headers: { cookie: cookieHeader(this.jar), 'content-type': contentType, accept: 'text/html' },
      payload,
    });
    absorbCookies(this.jar, res.headers['set-cookie']);
    return res;
  }

  /** Loads `pageUrl` for its CSRF token, then posts the form to `action`. */
  async submit(pageUrl: string, action: string, fields: Record<string, string>, files: UploadFile[] = []) {
    const page = await this.get(pageUrl);
    return this.postMultipart(action, { _csrf: csrfFrom(page.body), ...fields }, files);
  }
}

/** The error code a page or JSON answer carries. */
export function errorCode(res: { body: string; headers: Record<string, unknown> }): string | undefined {
  if (String(res.headers['content-type']).includes('application/json')) {
    return (JSON.parse(res.body) as { error?: { code?: string } }).error?.code;
  }
  return /<code>([A-Z_]+)<\/code>/.exec(res.body)?.[1];
}

const COUNTED = ['reports', 'report_entries', 'attachments', 'outbound_emails', 'jobs', 'audit_log'] as const;

/** Row counts of every table a submission writes, to prove a refusal stored nothing. */
export async function rowCounts(db: Db): Promise<Record<(typeof COUNTED)[number], number>> {
  const out = {} as Record<(typeof COUNTED)[number], number>;
  for (const table of COUNTED) {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}
