import fs from 'node:fs';
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS } from '../../src/clock.js';
import type { Trx } from '../../src/db/types.js';
import { requirePublicRecord, saveAdvisoryMeta } from '../../src/domain/advisories/advisories.service.js';
import { importAdvisory } from '../../src/domain/advisories/advisory-import.service.js';
import type { AdvisoryRecord } from '../../src/domain/advisories/advisory-record.js';
import {
  advisoryRevisions,
  reviseAdvisory,
  withdrawAdvisory,
} from '../../src/domain/advisories/advisory-revisions.service.js';
import { addToPool, assignCveId, listPool } from '../../src/domain/advisories/cve-ids.service.js';
import { publishAdvisory } from '../../src/domain/advisories/advisories.service.js';
import {
  updateSecuritySettings,
  DEFAULT_SECURITY_SETTINGS,
} from '../../src/domain/advisories/security-settings.service.js';
import { noOrigin } from '../../src/domain/audit/audit.js';
import type { Case } from '../../src/domain/cases/cases.js';
import { requireCase } from '../../src/domain/cases/cases.service.js';
import { activateEmbargo, proposeEmbargo } from '../../src/domain/cases/embargo.service.js';
import type { Project } from '../../src/domain/projects/projects.js';
import { addCaseCwe, updateCaseSeverity } from '../../src/domain/severity/case-severity.service.js';
import type { User } from '../../src/domain/users/users.js';
import { DomainError } from '../../src/errors.js';
import { toCsafAdvisory } from '../../src/formats/csaf.js';
import { toCsafVex } from '../../src/formats/csaf-vex.js';
import { toCve5Document } from '../../src/formats/cve5.js';
import { toCycloneDxVex } from '../../src/formats/cyclonedx-vex.js';
import { toOsv } from '../../src/formats/osv.js';
import { readOsv } from '../../src/formats/osv-read.js';
import { createCveServicesClient } from '../../src/integrations/cve-services.js';
import { osvMeaning } from '../formats/support/osv-meaning.js';
import { testWorker } from '../mail/support.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { actorOf } from '../support/case-factory.js';
import { startCveServicesServer } from '../support/cve-services-server.js';
import { engines } from '../support/databases.js';
import { formatSchemas, schemaErrors } from '../support/format-schemas.js';
import { readyCase, SYSTEM } from '../support/disclosure.js';
import { makeProject, makeUser } from '../support/factories.js';

// Issue 6 through real cases: the go freezes the advisory's public record (revision 1) and every
// format made from it is valid against its official schema; a revision rebuilds the record from
// the case and bumps the modified date and the CSAF version; withdrawal marks every format; a CNA
// project's pool id is published to CVE Services (a faithful local server) by the cve.sync job,
// updated on revision and rejected on withdrawal; and upstream OSV advisories imported into a case
// and published again say the same thing.

const fixtures = new URL('../fixtures/formats/import/', import.meta.url);
const json = (path: string): object => JSON.parse(fs.readFileSync(new URL(path, fixtures), 'utf8')) as object;

const valid = (validate: ValidateFunction, doc: unknown) => {
  expect(validate(doc), schemaErrors(validate)).toBe(true);
};

/** Checks every format of a record against its official schema; CVE only when it has an id. */
function expectEveryFormatValid(record: AdvisoryRecord): void {
  const schemas = formatSchemas();
  valid(schemas.osv, toOsv(record));
  valid(schemas.csaf.document, toCsafAdvisory(record));
  valid(schemas.csaf.document, toCsafVex(record));
  valid(schemas.cyclonedx, toCycloneDxVex(record));
  if (record.cveId) {
    // CVE Services' schemas are those of the request body, { cnaContainer }.
    valid(record.withdrawn ? schemas.cve.rejected : schemas.cve.published, toCve5Document(record));
  }
}

describe.each(engines())('advisory publication on %s', (engine) => {
  let ctx: TestContext;
  let cve: Awaited<ReturnType<typeof startCveServicesServer>>;
  let project: Project;
  let lead: User;
  const tx = <T>(fn: (trx: Trx) => Promise<T>): Promise<T> => ctx.deps.db.transaction().execute(fn);

  /** Runs every due job until none is left. */
  async function drain(): Promise<void> {
    const worker = testWorker(ctx, `publication-${engine}`);
    while ((await worker.runDue()) > 0) {
      // a job may enqueue more
    }
  }

  /** The embargo put in force and the clock moved to its release: the go runs, and what it enqueued. */
  async function goLive(theCase: Case): Promise<void> {
    const by = { actor: actorOf(lead, project, 'admin'), origin: noOrigin, theCase };
    await tx((trx) => proposeEmbargo(trx, ctx.deps, by));
    await tx((trx) => activateEmbargo(trx, ctx.deps, by));
    const embargo = await ctx.deps.db
      .selectFrom('embargoes')
      .select('release_at')
      .where('case_id', '=', theCase.id)
      .executeTakeFirstOrThrow();
    await drain();
    ctx.clock.set(embargo.release_at);
    await drain();
  }

  let caseA: Case;
  let cveA = '';

  beforeAll(async () => {
    cve = await startCveServicesServer();
    ctx = await createTestContext(engine, {
      env: {
        EMBARGO_CVE_SERVICES_URL: cve.url,
        EMBARGO_CVE_API_ORG: cve.org,
        EMBARGO_CVE_API_USER: cve.user,
        EMBARGO_CVE_API_KEY: cve.key,
        EMBARGO_CVE_CNA_ORG_ID: cve.orgId,
        EMBARGO_PUBLIC_URL: 'https://embargo.example',
      },
    });
    project = await makeProject(ctx.deps.db, ctx.clock, { name: 'Widget' });
    lead = await makeUser(ctx.deps.db, ctx.clock, { project, role: 'admin' });
    const admin = { actor: actorOf(lead, project, 'admin'), origin: noOrigin };
    await tx((trx) =>
      updateSecuritySettings(trx, ctx.deps, {
        ...admin,
        projectId: project.id,
        settings: { ...DEFAULT_SECURITY_SETTINGS, cveSource: 'cna', publisherName: 'The Widget Project' },
      }),
    );
    // The CNA's pool: three ids reserved at CVE Services for this year.
    const client = createCveServicesClient({ url: cve.url, org: cve.org, user: cve.user, key: cve.key });
    const reserved = await client.reserveIds({ amount: 3, year: ctx.clock.now().getUTCFullYear() });
    await tx((trx) =>
      addToPool(trx, ctx.deps, {
        ...admin,
        projectId: project.id,
        cveIds: reserved.ids.map((i) => i.cve_id),
        source: 'cve-services',
      }),
    );
  });
  afterAll(async () => {
    await ctx?.close();
    await cve?.close();
  });

  it('freezes the record at the go as revision 1; every format of it is valid; the CVE record is published', async () => {
    const ready = await readyCase(ctx, project, lead);
    caseA = ready.theCase;
    const by = { actor: actorOf(lead, project, 'admin'), origin: noOrigin, theCase: caseA };
    await tx((trx) =>
      updateCaseSeverity(trx, ctx.deps, {
        ...by,
        changes: { cvssV31: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
        reason: 'Remote code execution without authentication.',
      }),
    );
    await tx((trx) => addCaseCwe(trx, ctx.deps, { ...by, cwe: 122 }));
    cveA = await tx((trx) => assignCveId(trx, ctx.deps, by));
    await tx((trx) =>
      saveAdvisoryMeta(trx, ctx.deps, {
        ...by,
        meta: {
          aliases: ['GHSA-wdgt-2026-abcd'],
          related: [],
          references: [{ type: 'FIX', url: 'https://git.example/widget/commit/4f2a9c1' }],
        },
      }),
    );
    // Before the go nothing is public, and the id is assigned, not published.
    await expect(requirePublicRecord(ctx.deps.db, project.id, 'none')).rejects.toThrow(DomainError);
    expect((await listPool(ctx.deps.db, project.id)).find((p) => p.cveId === cveA)?.state).toBe('assigned');
    expect(cve.state.records.size).toBe(0);

    await goLive(caseA);

    const advisory = await ctx.deps.db
      .selectFrom('advisories')
      .select(['public_id', 'revision', 'record'])
      .where('case_id', '=', caseA.id)
      .executeTakeFirstOrThrow();
    expect(advisory.revision).toBe(1);
    const record = await requirePublicRecord(ctx.deps.db, project.id, advisory.public_id ?? '');
    expect(record.id).toMatch(/^P-[0-9A-F]+-\d{4}-0001$|^[A-Z0-9-]+-\d{4}-0001$/);
    expect(record.cveId).toBe(cveA);
    expect(record.aliases).toEqual([cveA, 'GHSA-wdgt-2026-abcd']);
    expect(record.project).toMatchObject({ publisher: 'The Widget Project', cna: { orgId: cve.orgId } });
    expect(record.cvss).toEqual([
      expect.objectContaining({ version: '3.1', baseScore: 9.8, baseSeverity: 'CRITICAL' }),
    ]);
    expect(record.cwes.map((c) => c.id)).toEqual([122]);
    expect(record.packages).toHaveLength(1);
    expect(record.packages[0]?.ranges.map((r) => [r.branch, r.introduced, r.fixed]).sort()).toEqual(
      ready.branches.map((b, i) => [b.name, `${i + 1}.0.0`, `${i + 1}.4.2`]).sort(),
    );
    expect(record.branches.map((b) => b.status)).toEqual(['affected', 'affected']);
    expect(record.references[0]).toEqual({ type: 'ADVISORY', url: record.links.page });
    expect(record.links.page).toBe(`https://embargo.example/p/${project.slug}/advisories/${record.id}`);
    expect(record.links.csaf.endsWith(`/${record.id.toLowerCase()}.json`)).toBe(true);
    expect(record.revisions).toEqual([{ number: 1, date: record.published, summary: 'Initial publication' }]);
    // The team's prose is there; the case's title (the reporter's words) and the patches are not.
    expect(record.details).toContain('overflows a heap buffer');
    expect(JSON.stringify(record)).not.toContain('bounds checked on');
    expectEveryFormatValid(record);

    // The cve.sync job published the record under the CNA's account.
    expect((await listPool(ctx.deps.db, project.id)).find((p) => p.cveId === cveA)?.state).toBe('published');
    const stored = cve.state.records.get(cveA) as {
      cveMetadata: { state: string };
      containers: { cna: { title: string } };
    };
    expect(stored.cveMetadata.state).toBe('PUBLISHED');
    expect(stored.containers.cna.title).toBe(record.summary);
  });

  it('a revision rebuilds the record from the case, bumps the modified date and the CSAF version, updates the CVE record', async () => {
    const before = await ctx.deps.db
      .selectFrom('advisories')
      .select('public_id')
      .where('case_id', '=', caseA.id)
      .executeTakeFirstOrThrow();
    ctx.clock.advance(DAY_MS);
    const by = { actor: actorOf(lead, project, 'admin'), origin: noOrigin, theCase: caseA };
    await tx((trx) =>
      reviseAdvisory(trx, ctx.deps, {
        ...by,
        summary: 'Added the upstream discussion',
        meta: {
          aliases: ['GHSA-wdgt-2026-abcd'],
          related: [],
          references: [
            { type: 'FIX', url: 'https://git.example/widget/commit/4f2a9c1' },
            { type: 'DISCUSSION', url: 'https://lists.example/widget/2026/1' },
          ],
        },
      }),
    );
    await drain();
    const record = await requirePublicRecord(ctx.deps.db, project.id, before.public_id ?? '');
    expect(record.revisions.map((r) => r.number)).toEqual([1, 2]);
    expect(record.modified).toBe(ctx.clock.now().toISOString());
    expect(record.modified > record.published).toBe(true);
    expect(record.references.map((r) => r.type)).toEqual(['ADVISORY', 'FIX', 'DISCUSSION']);
    const csaf = toCsafAdvisory(record) as unknown as {
      document: { tracking: { version: string; revision_history: unknown[] } };
    };
    expect(csaf.document.tracking.version).toBe('2');
    expect(csaf.document.tracking.revision_history).toHaveLength(2);
    expect(toOsv(record).modified).toBe(record.modified);
    expectEveryFormatValid(record);
    // Each revision keeps the record as it was.
    const revisions = await advisoryRevisions(ctx.deps.db, caseA.id);
    expect(revisions.map((r) => [r.number, r.record.references.length])).toEqual([
      [1, 2],
      [2, 3],
    ]);
    const history = await ctx.deps.db
      .selectFrom('case_history')
      .select('value')
      .where('case_id', '=', caseA.id)
      .where('change', '=', 'advisory.cve_record')
      .orderBy('at')
      .execute();
    expect(history.map((h) => JSON.parse(h.value ?? '{}').outcome)).toEqual(['published', 'updated']);
  });

  it('withdrawal keeps the page and marks every format withdrawn; the CVE record is rejected; no revision after it', async () => {
    const { public_id } = await ctx.deps.db
      .selectFrom('advisories')
      .select('public_id')
      .where('case_id', '=', caseA.id)
      .executeTakeFirstOrThrow();
    ctx.clock.advance(DAY_MS);
    const by = { actor: actorOf(lead, project, 'admin'), origin: noOrigin, theCase: caseA };
    await tx((trx) => withdrawAdvisory(trx, ctx.deps, { ...by, reason: 'The overflow cannot be reached.' }));
    await drain();
    const record = await requirePublicRecord(ctx.deps.db, project.id, public_id ?? '');
    expect(record.withdrawn).toBe(ctx.clock.now().toISOString());
    expect(record.withdrawnReason).toBe('The overflow cannot be reached.');
    expect(record.revisions.at(-1)?.summary).toBe('Withdrawn: The overflow cannot be reached.');
    expect(toOsv(record).withdrawn).toBe(record.withdrawn);
    const rejected = toCve5Document(record) as { cnaContainer: { rejectedReasons?: { value: string }[] } };
    expect(rejected.cnaContainer.rejectedReasons?.[0]?.value).toContain('The overflow cannot be reached.');
    const csaf = toCsafAdvisory(record) as unknown as { document: { category: string; notes: { title: string }[] } };
    expect(csaf.document.category).toBe('csaf_base');
    expect(csaf.document.notes.map((n) => n.title)).toContain('Reasoning for Withdrawal');
    const vex = toCycloneDxVex(record) as { vulnerabilities: { rejected?: string }[] };
    expect(vex.vulnerabilities[0]?.rejected).toBe(record.withdrawn);
    expectEveryFormatValid(record);
    const stored = cve.state.records.get(cveA) as { cveMetadata: { state: string } };
    expect(stored.cveMetadata.state).toBe('REJECTED');
    await expect(tx((trx) => reviseAdvisory(trx, ctx.deps, { ...by, summary: 'Once more' }))).rejects.toMatchObject({
      code: 'INVALID_TRANSITION',
    });
  });

  const examples = [
    'ghsa-osv/GHSA-3pxv-7cmr-fjr4.json',
    'ghsa-osv/GHSA-9v2f-6vcg-3hgv.json',
    'ghsa-osv/GHSA-cm6r-892j-jv2g.json',
    'golang-vulndb-osv/GO-2023-2170.json',
    'golang-vulndb-osv/GO-2025-3567.json',
  ];
  it.each(examples)('imports %s into a case and publishes it again with the same meaning', async (file) => {
    const original = json(file);
    const by = { actor: actorOf(lead, project, 'admin'), origin: noOrigin };
    const { theCase, warnings } = await tx((trx) =>
      importAdvisory(trx, ctx.deps, { ...by, project, imported: readOsv(original) }),
    );
    const published = await tx((trx) =>
      publishAdvisory(trx, ctx.deps, { theCase: theCase as Case, projectSlug: project.slug }),
    );
    const record = await requirePublicRecord(ctx.deps.db, project.id, published.publicId ?? '');
    const exported = toOsv(record);
    valid(formatSchemas().osv, exported);
    const before = osvMeaning(original);
    const after = osvMeaning(exported);
    const originalId = (original as { id: string }).id;
    // Our advisory's own id (x_...) is new; the upstream id and its aliases are kept as aliases.
    expect(after.aliases.filter((a) => a !== exported.id)).toEqual(
      [...new Set([originalId, ...before.aliases])].sort(),
    );
    expect(after.summary).toBe(before.summary);
    expect(after.details).toContain(before.details.trim());
    expect(after.packages).toEqual(before.packages);
    expect(after.severity).toEqual(before.severity);
    expect(after.credits).toEqual(before.credits);
    expect(after.references).toEqual([...before.references, `ADVISORY ${record.links.page}`].sort());
    expect(warnings.filter((w) => !/ecosystem_specific|symbols|database_specific/i.test(w))).toEqual(
      readOsv(original).warnings.filter((w) => !/ecosystem_specific|symbols|database_specific/i.test(w)),
    );
    const theStoredCase = await requireCase(ctx.deps.db, project.id, theCase.number);
    expect(theStoredCase.title).toBe(before.summary);
  });

  it('assigns the lowest free id of the pool, and says when the pool is empty', async () => {
    const pool = await listPool(ctx.deps.db, project.id);
    const free = pool.filter((p) => p.state === 'reserved').map((p) => p.cveId);
    expect(free).toHaveLength(2);
    const cases: Case[] = [];
    for (let i = 0; i < 3; i += 1) {
      const opened = await tx((trx) =>
        importAdvisory(trx, ctx.deps, {
          actor: SYSTEM,
          origin: noOrigin,
          project,
          imported: {
            ...readOsv(json('ghsa-osv/GHSA-cm6r-892j-jv2g.json')),
            aliases: [],
            sourceId: `EX-${i}`,
          },
        }),
      );
      cases.push(opened.theCase);
    }
    const by = (theCase: Case) => ({ actor: actorOf(lead, project, 'admin'), origin: noOrigin, theCase });
    const first = await tx((trx) => assignCveId(trx, ctx.deps, by(cases[0] as Case)));
    const second = await tx((trx) => assignCveId(trx, ctx.deps, by(cases[1] as Case)));
    expect([first, second]).toEqual([...free].sort((a, b) => Number(a.split('-')[2]) - Number(b.split('-')[2])));
    await expect(tx((trx) => assignCveId(trx, ctx.deps, by(cases[2] as Case)))).rejects.toMatchObject({
      code: 'CVE_POOL_EMPTY',
    });
  });
});
