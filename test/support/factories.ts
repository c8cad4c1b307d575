import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../src/clock.js';
import type { Db } from '../../src/db/types.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { addMember, createProject } from '../../src/domain/projects/projects.service.js';
import type { User } from '../../src/domain/users/users.js';
import { createUser } from '../../src/domain/users/users.service.js';
import type { ProjectRole } from '../../src/policies/actor.js';

const unique = () => crypto.randomBytes(4).toString('hex');

export const TEST_PASSWORD = 'correct horse battery staple';

/** A project of its own for each test, so no test depends on another's rows. */
export async function makeProject(
  db: Db,
  clock: Clock,
  overrides: Partial<Parameters<typeof createProject>[2]> = {},
): Promise<Project> {
  return db.transaction().execute((trx) =>
    createProject(trx, clock, {
      slug: `p-${unique()}`,
      name: 'Test Project',
      repositoryUrl: 'https://example.org/test.git',
      securityContact: 'security@example.org',
      ...overrides,
    }),
  );
}

export interface MakeUserOptions {
  email?: string;
  name?: string;
  password?: string;
  isInstanceAdmin?: boolean;
  /** Adds the user to this project with `role`. */
  project?: Project;
  role?: ProjectRole;
}

export async function makeUser(db: Db, clock: Clock, options: MakeUserOptions = {}): Promise<User> {
  return db.transaction().execute(async (trx) => {
    const user = await createUser(trx, clock, {
      email: options.email ?? `user-${unique()}@example.org`,
      name: options.name ?? 'Test User',
      password: options.password ?? TEST_PASSWORD,
      isInstanceAdmin: options.isInstanceAdmin ?? false,
    });
    if (options.project)
      await addMember(trx, clock, { projectId: options.project.id, userId: user.id, role: options.role ?? 'security' });
    return user;
  });
}

/** Cookies a browser would hold, as one header value. */
export function cookieHeader(jar: Record<string, string>): string {
  return Object.entries(jar)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

/** Merges Set-Cookie headers of a response into a jar. */
export function absorbCookies(jar: Record<string, string>, setCookie: string | string[] | undefined): void {
  for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
    const [pair = ''] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq > 0) jar[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
}

/** Extracts the CSRF token from a rendered page's form. */
export function csrfFrom(html: string): string {
  const match = html.match(/name="_csrf" value="([^"]+)"/);
  if (!match?.[1]) throw new Error('page has no CSRF field');
  return match[1];
}

/** A browser-like client over app.inject that keeps cookies between requests. */
export class Browser {
  readonly jar: Record<string, string> = {};

  constructor(private readonly app: FastifyInstance) {}

  async get(url: string) {
    const res = await this.app.inject({
      method: 'GET',
      url,
      headers: { cookie: cookieHeader(this.jar), accept: 'text/html' },
    });
    absorbCookies(this.jar, res.headers['set-cookie']);
    return res;
  }

  /** Posts a URL-encoded form; pass `_csrf` yourself, or use `submit` to take it from a page. */
  async post(url: string, form: Record<string, string>) {
    const res = await this.app.inject({
      method: 'POST',
      url,
      headers: {
        cookie: cookieHeader(this.jar),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'text/html',
      },
      payload: new URLSearchParams(form).toString(),
    });
    absorbCookies(this.jar, res.headers['set-cookie']);
    return res;
  }

  /** Loads `pageUrl`, then posts `form` to `action` with that page's CSRF token. */
  async submit(pageUrl: string, action: string, form: Record<string, string>) {
    const page = await this.get(pageUrl);
    return this.post(action, { _csrf: csrfFrom(page.body), ...form });
  }
}

/** Signs a browser in through the real sign-in form (GET for the CSRF token, then POST); throws unless it succeeds. */
export async function login(browser: Browser, email: string, password: string = TEST_PASSWORD) {
  const res = await browser.submit('/login', '/login', { email, password });
  if (res.statusCode !== 303) throw new Error(`sign-in of ${email} failed with status ${res.statusCode}`);
  return res;
}
