import fs from 'node:fs';
import * as prettier from 'prettier';
import { formatSchemas } from '../support/format-schemas.js';
import { describe, expect, it } from 'vitest';
import type { AdvisoryRecord } from '../../src/domain/advisories/advisory-record.js';
import { CREDIT_TYPES } from '../../src/domain/advisories/advisories.js';
import { isDomainError } from '../../src/errors.js';
import {
  markdownToPlainText,
  toCve5Body,
  toCve5CnaContainer,
  toCve5Document,
  toCve5RejectedBody,
} from '../../src/formats/cve5.js';
import { RECORDS } from '../fixtures/advisories/records.js';
import { CVE5_EXTRA_RECORDS } from '../fixtures/formats/cve5/extra-records.js';

// Golden files: `UPDATE_GOLDEN=1 npx vitest run test/formats/cve5.test.ts` rewrites them (laid out
// by Prettier, so `prettier --check` passes); read the diff by eye before committing: it must be
// what CVE Services and CVE consumers expect. The comparison re-serialises the golden file, so the
// layout is free but the keys, their order and every value must match byte for byte.

const GOLDEN = new URL('../fixtures/formats/cve5/', import.meta.url);
const { published: validatePublished, rejected: validateRejected } = formatSchemas().cve;

const ALL: AdvisoryRecord[] = [...Object.values(RECORDS), ...Object.values(CVE5_EXTRA_RECORDS)];
const WITH_CVE = ALL.filter((record) => record.cveId !== null);

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isDomainError(err) ? err.code : 'not a DomainError';
  }
  return undefined;
}

function expectValid(record: AdvisoryRecord) {
  const body = toCve5Document(record);
  const validate = record.withdrawn === null ? validatePublished : validateRejected;
  const valid = validate(body);
  expect(validate.errors ?? [], record.id).toEqual([]);
  expect(valid).toBe(true);
}

describe('CVE JSON 5.1 export', () => {
  it.each(WITH_CVE.map((record) => [record.id, record] as const))('%s matches its golden file', async (id, record) => {
    const file = new URL(`${id}.json`, GOLDEN);
    const output = json(toCve5Document(record));
    if (process.env.UPDATE_GOLDEN === '1') {
      const config = await prettier.resolveConfig(file);
      fs.writeFileSync(file, await prettier.format(output, { ...config, parser: 'json' }));
    }
    expect(output).toBe(json(JSON.parse(fs.readFileSync(file, 'utf8'))));
  });

  it.each(WITH_CVE.map((record) => [record.id, record] as const))(
    '%s validates against the CVE Services 5.1 CNA container schema',
    (_id, record) => expectValid(record),
  );

  it('is deterministic and leaves the record alone', () => {
    for (const record of WITH_CVE) {
      const frozen = deepFreeze(structuredClone(record));
      expect(json(toCve5Document(frozen))).toBe(json(toCve5Document(record)));
    }
  });

  it('has no CVE export for an advisory without a CVE id', () => {
    expect(RECORDS.severalEcosystems.cveId).toBeNull();
    expect(errorCode(() => toCve5CnaContainer(RECORDS.severalEcosystems))).toBe('NOT_FOUND');
    expect(errorCode(() => toCve5Body(RECORDS.branchesOnly))).toBe('NOT_FOUND');
    expect(errorCode(() => toCve5RejectedBody({ ...RECORDS.withdrawn, cveId: null }))).toBe('NOT_FOUND');
  });

  it('rejects a withdrawn advisory instead of publishing it, and rejects nothing else', () => {
    expect(errorCode(() => toCve5CnaContainer(RECORDS.withdrawn))).toBe('INVALID_TRANSITION');
    expect(errorCode(() => toCve5RejectedBody(RECORDS.onePackage))).toBe('INVALID_TRANSITION');
    expect(toCve5RejectedBody(RECORDS.withdrawn).cnaContainer.rejectedReasons).toEqual([
      {
        lang: 'en',
        value:
          'Widget withdrew advisory WIDGET-2026-0002 on 2026-06-05: The allocation is bounded by the caller’s limit: not a vulnerability.',
      },
    ]);
    expect(toCve5RejectedBody(CVE5_EXTRA_RECORDS.withdrawnWithoutReason).cnaContainer).toEqual({
      rejectedReasons: [{ lang: 'en', value: 'Parse Suite withdrew advisory PARSE-2026-0004 on 2026-06-05.' }],
      x_generator: { engine: 'Embargo' },
    });
  });

  it('turns ranges into lessThan / lessThanOrEqual with the ecosystem’s versionType and registry', () => {
    const [npm] = toCve5CnaContainer(RECORDS.onePackage).affected;
    expect(npm).toEqual({
      vendor: 'Widget',
      product: 'widget-merge',
      collectionURL: 'https://registry.npmjs.org',
      packageName: 'widget-merge',
      versions: [{ version: '2.0.0', lessThan: '2.4.1', status: 'affected', versionType: 'semver' }],
      defaultStatus: 'unaffected',
    });
    const [pypi, crates, debian] = toCve5CnaContainer(CVE5_EXTRA_RECORDS.severalEcosystemsWithCve).affected;
    expect(pypi?.versions).toEqual([{ version: '0', lessThan: '3.2.0', status: 'affected', versionType: 'python' }]);
    expect(crates?.versions).toEqual([
      { version: '0.8.0', lessThanOrEqual: '0.9.3', status: 'affected', versionType: 'semver' },
      { version: '0.8.0', status: 'affected' },
      { version: '0.9.0', status: 'affected' },
      { version: '0.9.3', status: 'affected' },
    ]);
    expect(debian).toMatchObject({ collectionURL: 'https://packages.debian.org', packageName: 'python3-parse-toml' });
    expect(debian?.versions?.[0]?.versionType).toBe('custom');
    const go = toCve5CnaContainer(RECORDS.severalBranches).affected;
    expect(go).toHaveLength(1);
    expect(go[0]?.collectionURL).toBe('https://pkg.go.dev');
    expect(go[0]?.versions?.map((v) => `${v.version}..${v.lessThan}`)).toEqual(['1.29.0..1.29.8', '1.30.0..1.30.4']);
  });

  it('describes a branch-only advisory as the project’s product, branch by branch', () => {
    const container = toCve5CnaContainer(CVE5_EXTRA_RECORDS.branchesOnlyWithCve);
    expect(container.affected).toEqual([
      {
        vendor: 'Demo Server',
        product: 'Demo Server',
        versions: [
          { version: '2', lessThan: '2.*', status: 'unaffected', versionType: 'custom' },
          { version: '3.1', lessThan: '3.1.*', status: 'affected', versionType: 'custom' },
          { version: '3.2', lessThan: '3.2.5', status: 'affected', versionType: 'custom' },
          { version: 'nightly', status: 'unknown' },
        ],
        defaultStatus: 'unknown',
      },
    ]);
  });

  it('says "unknown" for an advisory that names neither a package nor a branch', () => {
    const record: AdvisoryRecord = { ...CVE5_EXTRA_RECORDS.branchesOnlyWithCve, branches: [] };
    expect(toCve5CnaContainer(record).affected).toEqual([
      { vendor: 'Demo Server', product: 'Demo Server', defaultStatus: 'unknown' },
    ]);
    expectValid(record);
  });

  it('carries CVSS 3.1 and 4.0 with the properties the schema requires, CWEs, tags and credits', () => {
    const container = toCve5CnaContainer(RECORDS.severalBranches);
    expect(container.metrics?.map((m) => Object.keys(m))).toEqual([
      ['format', 'scenarios', 'cvssV3_1'],
      ['format', 'scenarios', 'cvssV4_0'],
    ]);
    expect(container.metrics?.[1]?.cvssV4_0).toMatchObject({
      version: '4.0',
      vectorString: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H',
      baseScore: 9.4,
      baseSeverity: 'CRITICAL',
      attackRequirements: 'NONE',
      subIntegrityImpact: 'HIGH',
    });
    expect(container.problemTypes?.[0]?.descriptions).toEqual([
      {
        lang: 'en',
        cweId: 'CWE-22',
        description: "CWE-22 Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
        type: 'CWE',
      },
    ]);
    expect(container.references).toEqual([
      { url: 'https://embargo.example/p/kube/advisories/KUBE-2026-0003', tags: ['vendor-advisory'] },
      { url: 'https://git.example/kube/pull/120001', tags: ['patch'] },
      { url: 'https://git.example/kube/pull/120002', tags: ['patch'] },
      { url: 'https://lists.example/kube-announce/2026-04/0003.html', tags: ['mailing-list'] },
    ]);
    // No CNA configured: no providerMetadata (CVE Services sets it from the submitting account).
    expect(container.providerMetadata).toBeUndefined();
    expect(toCve5CnaContainer(RECORDS.onePackage).providerMetadata).toEqual({
      orgId: '3c1d8d9a-5e4b-4b8e-9a43-2f6f0a5b7c11',
      shortName: 'widget',
      dateUpdated: '2026-03-09T16:00:00.000Z',
    });
  });

  it('maps every OSV credit type to a CVE credit type the schema accepts', () => {
    const record: AdvisoryRecord = {
      ...RECORDS.onePackage,
      credits: CREDIT_TYPES.map((type) => ({ name: `Someone (${type})`, type, contact: [] })),
    };
    expect(toCve5CnaContainer(record).credits?.map((c) => c.type)).toEqual([
      'finder',
      'reporter',
      'analyst',
      'coordinator',
      'remediation developer',
      'remediation reviewer',
      'remediation verifier',
      'tool',
      'sponsor',
      'other',
    ]);
    expectValid(record);
  });

  it('gives the details as plain text with the Markdown as supporting media', () => {
    const [description] = toCve5CnaContainer(CVE5_EXTRA_RECORDS.branchesOnlyWithCve).descriptions;
    expect(description?.value).toBe(
      'A request with an empty session cookie is treated as signed in (design note (https://docs.example/sessions)).\n\n' +
        'An attacker can:\n\n- read every project\n- change the admin password',
    );
    expect(description?.supportingMedia).toEqual([
      { type: 'text/markdown', base64: false, value: CVE5_EXTRA_RECORDS.branchesOnlyWithCve.details },
    ]);
    expect(markdownToPlainText('# Title\n\n1. one `x`\n2. <b>two</b>\n\n```\ncode\n```')).toBe(
      'Title\n\n1. one x\n2. <b>two</b>\n\ncode',
    );
  });

  it('stays within the schema’s lengths for very long text', () => {
    const record: AdvisoryRecord = {
      ...RECORDS.onePackage,
      summary: 'S'.repeat(300),
      details: 'word '.repeat(5000),
    };
    const container = toCve5CnaContainer(record);
    expect(Array.from(container.title)).toHaveLength(256);
    expect(container.descriptions[0]?.value.endsWith('…')).toBe(true);
    expect(container.descriptions[0]?.supportingMedia).toBeUndefined();
    expectValid(record);
  });
});
