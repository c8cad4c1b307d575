import crypto from 'node:crypto';
import { unzipSync } from 'fflate';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdvisoryRecord } from '../../src/domain/advisories/advisory-record.js';
import { requirePublicRecord } from '../../src/domain/advisories/advisories.service.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import { generateProjectKey } from '../../src/domain/pgp/pgp-keys.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import type { User } from '../../src/domain/users/users.js';
import { parseSecurityTxt } from '../../src/formats/security-txt.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';
import { makeProject, makeUser } from '../support/factories.js';
import {
  csafMandatoryErrors,
  csafSchemaErrors,
  cveErrors,
  cycloneDxErrors,
  osvErrors,
  providerMetadataErrors,
} from './support/format-validators.js';
import { publishCase, withdraw } from './support/published.js';

// The public advisory pages and every format route over advisories published the way the go
// publishes them: each route answers with its content type and a document valid against the
// official schema; search and filters narrow the lists; a draft exists on no route; a withdrawn
// advisory keeps its page under a banner; security.txt, SECURITY.md, the OSV zip and the CSAF
// provider (metadata, ROLIE feed, hashes, signatures) say what they should.

const BASE = 'https://embargo.example';
const DRAFT = 'CANARYDRAFT draft that must stay private';
const CRITICAL = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const path = (url: string) => new URL(url).pathname;

describe.each(engines())('public advisories and formats on %s', (engine) => {
  let ctx: TestContext;
  let widget: Project;
  let gadget: Project;
  let lead: User;
  let heap: AdvisoryRecord;
  let traversal: AdvisoryRecord;
  let timing: AdvisoryRecord;
  /** The id the draft would have if it were published next. */
  let draftId: string;

  const get = (url: string) => ctx.app.inject({ method: 'GET', url });
  const ids = (html: string) => [...html.matchAll(/<tr data-advisory="([^"]+)"/g)].map((m) => m[1]);

  beforeAll(async () => {
    ctx = await createTestContext(engine, {
      env: { EMBARGO_PUBLIC_URL: BASE, EMBARGO_WELL_KNOWN_PROJECT: 'widget' },
    });
    widget = await makeProject(ctx.deps.db, ctx.clock, {
      slug: 'widget',
      name: 'Widget',
      securityContact: 'security@widget.example',
    });
    gadget = await makeProject(ctx.deps.db, ctx.clock, { slug: 'gadget', name: 'Gadget' });
    lead = await makeUser(ctx.deps.db, ctx.clock, { project: widget, role: 'admin' });
    const gadgetLead = await makeUser(ctx.deps.db, ctx.clock, { project: gadget, role: 'admin' });
    await ctx.deps.db.transaction().execute((trx) =>
      generateProjectKey(trx, ctx.deps, {
        by: { actor: { kind: 'system', label: 'test' }, origin: noOrigin },
        projectId: widget.id,
      }),
    );

    const a = await publishCase(ctx, widget, lead, {
      summary: 'Heap overflow in the widget parser',
      details: 'A crafted document overflows a heap buffer in `parse()`.',
      cvssV31: CRITICAL,
      cveId: 'CVE-2026-12345',
      credit: 'Ada Reporter',
    });
    const b = await publishCase(ctx, widget, lead, {
      summary: 'Path traversal in the uploader',
      ecosystem: 'PyPI',
      packageName: 'widget-uploader',
    });
    ctx.clock.advance(60_000);
    await withdraw(ctx, widget, lead, b.caseId, 'Not a vulnerability after all');
    await publishCase(ctx, widget, lead, { summary: DRAFT, draft: true });
    const d = await publishCase(ctx, gadget, gadgetLead, {
      summary: 'Timing leak in the gadget',
      packageName: 'gadget',
    });
    heap = await requirePublicRecord(ctx.deps.db, widget.id, a.publicId ?? '');
    traversal = await requirePublicRecord(ctx.deps.db, widget.id, b.publicId ?? '');
    timing = await requirePublicRecord(ctx.deps.db, gadget.id, d.publicId ?? '');
    draftId = heap.id.replace(/\d{4}$/, '0003');
  });
  afterAll(async () => {
    await ctx?.close();
  });

  describe('the format routes', () => {
    it('serve OSV valid against its schema, the current revision and any earlier one', async () => {
      for (const record of [heap, traversal, timing]) {
        const res = await get(path(record.links.osv));
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(osvErrors(res.json())).toEqual([]);
        expect(res.json()).toMatchObject({ id: `x_${record.id}`, summary: record.summary });
      }
      expect((await get(path(traversal.links.osv))).json().withdrawn).toBe(traversal.withdrawn);
      const first = await get(`${path(traversal.links.osv)}?revision=1`);
      expect(first.statusCode).toBe(200);
      expect(first.json().withdrawn).toBeUndefined();
      expect((await get(`${path(traversal.links.osv)}?revision=9`)).statusCode).toBe(404);
    });

    it('serve CVE JSON 5 (published, or rejected once withdrawn) and 404 without a CVE id', async () => {
      const res = await get(path(heap.links.cve));
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(cveErrors(res.json(), false)).toEqual([]);
      expect(JSON.stringify(res.json())).toContain('widget-parser');
      expect((await get(path(traversal.links.cve))).statusCode).toBe(404);
      expect((await get(path(timing.links.cve))).statusCode).toBe(404);
    });

    it('serve CycloneDX 1.6 VEX valid against bom-1.6', async () => {
      for (const record of [heap, traversal, timing]) {
        const res = await get(path(record.links.cyclonedx));
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/vnd\.cyclonedx\+json/);
        expect(cycloneDxErrors(res.json())).toEqual([]);
      }
    });

    it('serve the CSAF advisory and VEX from the provider directory, valid and passing the mandatory tests', async () => {
      for (const record of [heap, traversal, timing]) {
        for (const url of [record.links.csaf, record.links.csafVex]) {
          expect(path(url)).toMatch(/^\/\.well-known\/csaf\/white\/\d{4}\/[a-z0-9+_-]+\.json$/);
          const res = await get(path(url));
          expect(res.statusCode, url).toBe(200);
          expect(res.headers['content-type']).toMatch(/^application\/json/);
          expect(csafSchemaErrors(res.json())).toEqual([]);
          expect(await csafMandatoryErrors(res.json())).toEqual([]);
        }
      }
      expect((await get(path(heap.links.csafVex))).json().document.category).toBe('csaf_vex');
      expect((await get('/.well-known/csaf/white/2026/nothing-here.json')).statusCode).toBe(404);
    });

    it('give each CSAF document hash files that match it, and a signature when the project has a key', async () => {
      const key = await openpgp.readKey({ armoredKey: (await get('/p/widget/pgp-key.asc')).body });
      for (const url of [heap.links.csaf, heap.links.csafVex, timing.links.csaf]) {
        const body = (await get(path(url))).body;
        const filename = path(url).split('/').pop();
        for (const algorithm of ['sha256', 'sha512'] as const) {
          const res = await get(`${path(url)}.${algorithm}`);
          expect(res.statusCode).toBe(200);
          expect(res.body).toBe(`${crypto.createHash(algorithm).update(body).digest('hex')}  ${filename}\n`);
        }
      }
      const body = (await get(path(heap.links.csaf))).body;
      const asc = await get(`${path(heap.links.csaf)}.asc`);
      expect(asc.statusCode).toBe(200);
      const verified = await openpgp.verify({
        message: await openpgp.createMessage({ binary: new TextEncoder().encode(body) }),
        signature: await openpgp.readSignature({ armoredSignature: asc.body }),
        verificationKeys: key,
        date: ctx.clock.now(),
      });
      await expect(verified.signatures[0]?.verified).resolves.toBe(true);
      // Gadget has no key: no signature to give.
      expect((await get(`${path(timing.links.csaf)}.asc`)).statusCode).toBe(404);
    });

    it('zip every current OSV record of the project', async () => {
      const res = await get('/p/widget/osv/all.zip');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/zip');
      const files = unzipSync(new Uint8Array(res.rawPayload));
      expect(Object.keys(files).sort()).toEqual([`x_${heap.id}.json`, `x_${traversal.id}.json`].sort());
      for (const content of Object.values(files))
        expect(osvErrors(JSON.parse(new TextDecoder().decode(content)))).toEqual([]);
    });
  });

  describe('the CSAF provider', () => {
    it('publishes provider-metadata.json valid against its schema, naming the feed and the key', async () => {
      const res = await get('/.well-known/csaf/provider-metadata.json');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const metadata = res.json();
      expect(providerMetadataErrors(metadata)).toEqual([]);
      expect(metadata.canonical_url).toBe(`${BASE}/.well-known/csaf/provider-metadata.json`);
      expect(metadata.publisher.name).toBe('Widget');
      expect(metadata.last_updated).toBe(traversal.modified);
      expect(metadata.public_openpgp_keys[0].url).toBe(`${BASE}/p/widget/pgp-key.asc`);
      expect(metadata.distributions[0].rolie.feeds[0].url).toBe(`${BASE}/.well-known/csaf/white/feed-tlp-white.json`);
    });

    it('lists every published document of every project in the ROLIE feed, each link served', async () => {
      const res = await get('/.well-known/csaf/white/feed-tlp-white.json');
      expect(res.statusCode).toBe(200);
      const entries = res.json().feed.entry as { id: string; link: { rel: string; href: string }[] }[];
      expect(entries.map((e) => e.id).sort()).toEqual(
        [heap, traversal, timing].flatMap((r) => [r.id, `${r.id}-VEX`]).sort(),
      );
      for (const entry of entries) {
        for (const link of entry.link) expect((await get(path(link.href))).statusCode, link.href).toBe(200);
      }
      expect(res.body).not.toContain('CANARYDRAFT');
    });
  });

  describe('the lists', () => {
    it('list the project’s published advisories, never a draft', async () => {
      const res = await get('/p/widget/advisories');
      expect(res.statusCode).toBe(200);
      expect(ids(res.body).sort()).toEqual([heap.id, traversal.id].sort());
      expect(res.body).toContain('CVE-2026-12345');
      expect(res.body).toContain('data-withdrawn-badge');
      expect(res.body).not.toContain('CANARYDRAFT');
      expect(res.body).not.toContain('Private title');
    });

    it('narrow by search words and by each filter', async () => {
      const list = async (query: string) => ids((await get(`/p/widget/advisories?${query}`)).body);
      expect(await list('q=traversal')).toEqual([traversal.id]);
      expect(await list('q=CVE-2026-12345')).toEqual([heap.id]);
      expect(await list('q=CANARYDRAFT')).toEqual([]);
      expect(await list('severity=critical')).toEqual([heap.id]);
      expect(await list('ecosystem=PyPI')).toEqual([traversal.id]);
      expect(await list('ecosystem=npm&severity=')).toEqual([heap.id]);
      expect(await list('year=2026')).toHaveLength(2);
      expect(await list('year=2025')).toEqual([]);
      expect(await list('withdrawn=exclude')).toEqual([heap.id]);
      expect(await list('withdrawn=only')).toEqual([traversal.id]);
    });

    it('list every project’s advisories on /advisories, with the project, and the same filters', async () => {
      const res = await get('/advisories');
      expect(res.statusCode).toBe(200);
      expect(ids(res.body).sort()).toEqual([heap.id, traversal.id, timing.id].sort());
      expect(res.body).toContain('Gadget');
      expect(ids((await get('/advisories?q=gadget')).body)).toEqual([timing.id]);
      expect(res.body).not.toContain('CANARYDRAFT');
    });
  });

  describe('the advisory page', () => {
    it('shows the record: ids, severity, CVSS, CWE-free packages, credits, history and every download', async () => {
      const res = await get(path(heap.links.page));
      expect(res.statusCode).toBe(200);
      const html = res.body;
      for (const text of [
        heap.id,
        'CVE-2026-12345',
        CRITICAL,
        'widget-parser',
        'Ada Reporter',
        'Initial publication',
      ]) {
        expect(html).toContain(text);
      }
      for (const url of [heap.links.osv, heap.links.cve, heap.links.csaf, heap.links.csafVex, heap.links.cyclonedx]) {
        expect(html).toContain(`href="${path(url)}"`);
      }
      expect(html).toContain(`href="${path(heap.links.csaf)}.asc"`);
      expect(html).not.toContain('data-withdrawn');
      expect(html).not.toContain('Private title');
    });

    it('keeps a withdrawn advisory’s page under a banner with the reason, and its first revision', async () => {
      const res = await get(path(traversal.links.page));
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(/data-withdrawn[^>]*>.*Withdrawn.*Not a vulnerability after all/s);
      const first = await get(`${path(traversal.links.page)}?revision=1`);
      expect(first.statusCode).toBe(200);
      expect(first.body).not.toContain('data-withdrawn=');
      expect(first.body).toContain('data-old-revision="1"');
    });

    it('is a 404 on every route for a draft', async () => {
      const page = `/p/widget/advisories/${draftId}`;
      for (const url of [page, `${page}/osv.json`, `${page}/cve.json`, `${page}/cyclonedx-vex.json`]) {
        expect((await get(url)).statusCode, url).toBe(404);
      }
      const file = `/.well-known/csaf/white/2026/${draftId.toLowerCase()}.json`;
      for (const suffix of ['', '.sha256', '.sha512', '.asc'])
        expect((await get(`${file}${suffix}`)).statusCode).toBe(404);
      for (const url of ['/p/widget', '/p/widget/acknowledgments', '/p/widget/osv/all.zip']) {
        expect((await get(url)).body).not.toContain('CANARYDRAFT');
      }
    });
  });

  describe('security.txt, SECURITY.md and acknowledgments', () => {
    it('serves a fresh, signed security.txt that parses back without a problem', async () => {
      const key = await openpgp.readKey({ armoredKey: (await get('/p/widget/pgp-key.asc')).body });
      for (const url of ['/.well-known/security.txt', '/p/widget/security.txt']) {
        const res = await get(url);
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
        const parsed = parseSecurityTxt(res.body, { now: ctx.clock.now() });
        expect(parsed.problems).toEqual([]);
        expect(parsed.signed).toBe(true);
        expect(parsed.canonical).toEqual([`${BASE}${url}`]);
        expect(parsed.contacts).toEqual(['mailto:security@widget.example', `${BASE}/p/widget/report`]);
        expect(parsed.encryption).toEqual([`${BASE}/p/widget/pgp-key.asc`]);
        expect(parsed.policy).toEqual([`${BASE}/p/widget/SECURITY.md`]);
        expect(parsed.acknowledgments).toEqual([`${BASE}/p/widget/acknowledgments`]);
        expect(parsed.csaf).toEqual([`${BASE}/.well-known/csaf/provider-metadata.json`]);
        expect(parsed.preferredLanguages).toEqual(['en']);
        const today = ctx.clock.now().toISOString().slice(0, 10);
        expect(parsed.expires).toBe(new Date(Date.parse(today) + 180 * 86_400_000).toISOString());
        const verified = await openpgp.verify({
          message: await openpgp.readCleartextMessage({ cleartextMessage: res.body }),
          verificationKeys: key,
          date: ctx.clock.now(),
        });
        await expect(verified.signatures[0]?.verified).resolves.toBe(true);
        // Served again the same day: the same signed text, not a new signature.
        expect((await get(url)).body).toBe(res.body);
      }
    });

    it('stays fresh as days pass, and is unsigned without a key', async () => {
      ctx.clock.advance(400 * 86_400_000);
      const res = await get('/p/gadget/security.txt');
      const parsed = parseSecurityTxt(res.body, { now: ctx.clock.now() });
      expect(parsed.problems).toEqual([]);
      expect(parsed.signed).toBe(false);
      expect(parsed.encryption).toEqual([]);
      expect(parseSecurityTxt((await get('/p/widget/security.txt')).body, { now: ctx.clock.now() }).problems).toEqual(
        [],
      );
      ctx.clock.advance(-400 * 86_400_000);
    });

    it('downloads SECURITY.md written from the project’s settings', async () => {
      const res = await get('/p/widget/SECURITY.md');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/markdown; charset=utf-8');
      expect(res.headers['content-disposition']).toBe("attachment; filename*=UTF-8''SECURITY.md");
      expect(res.body).toContain('# Security policy for Widget');
      expect(res.body).toContain(`${BASE}/p/widget/report`);
      expect(res.body).toContain('security@widget.example');
      expect(res.body).toContain(`${BASE}/p/widget/pgp-key.asc`);
    });

    it('lists the credits of published advisories', async () => {
      const res = await get('/p/widget/acknowledgments');
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Ada Reporter');
      expect(res.body).toContain(heap.id);
    });

    it('links the new pages from the project page', async () => {
      const html = (await get('/p/widget')).body;
      for (const href of [
        '/p/widget/SECURITY.md',
        '/p/widget/security.txt',
        '/p/widget/acknowledgments',
        '/p/widget/osv/all.zip',
      ]) {
        expect(html).toContain(`href="${href}"`);
      }
    });
  });
});
