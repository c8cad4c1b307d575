import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, engines, type TestDatabase } from '../support/databases.js';

// `embargo scan` and `embargo db` as a user runs them: the compiled binary (npm test builds dist/),
// no server, no network, a database given by --db.
const MAIN = 'dist/main.js';
const OSV = 'test/fixtures/osv';
const REAL = 'test/fixtures/lockfiles/real-world';

function run(args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { ...process.env, DATABASE_URL: 'sqlite::memory:' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

interface JsonReport {
  results: {
    source: { path: string };
    packages: {
      package: { name: string; version: string };
      vulnerabilities: { id: string; fixed_version: string | null; ignored?: unknown }[];
    }[];
  }[];
}
const found = (report: JsonReport) =>
  report.results.flatMap((r) =>
    r.packages.flatMap((p) =>
      p.vulnerabilities
        .filter((v) => !v.ignored)
        .map((v) => `${p.package.name}@${p.package.version} ${v.id} -> ${v.fixed_version ?? 'none'}`),
    ),
  );

for (const engine of engines()) {
  describe(`embargo scan (${engine})`, () => {
    let t: TestDatabase;
    let dir: string;

    beforeAll(async () => {
      t = await createTestDatabase(engine, { migrate: false });
      await t.db.destroy();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'embargo-scan-'));
      const imported = await run(['db', 'import', '--db', t.url, OSV]);
      expect(imported.stderr).toBe('');
      expect(imported.stdout).toMatch(/299 added, 0 updated, 6 unchanged/);
    }, 60_000);
    afterAll(async () => {
      await t.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('counts the database with db stats', async () => {
      const stats = await run(['db', 'stats', '--db', t.url, '--json']);
      expect(stats.code).toBe(0);
      const parsed = JSON.parse(stats.stdout) as { total: number; ecosystems: { ecosystem: string; vulns: number }[] };
      expect(parsed.total).toBe(299);
      expect(parsed.ecosystems.find((e) => e.ecosystem === 'crates.io')?.vulns).toBe(17);
    });

    it('reports the known vulnerable pins of the real lockfiles with their fixes, and exits 1', async () => {
      const out = await run(['scan', '--db', t.url, '--format', 'json', REAL]);
      expect(out.code).toBe(1);
      const lines = found(JSON.parse(out.stdout) as JsonReport);
      expect(lines).toEqual(
        expect.arrayContaining([
          'regex@1.4.2 RUSTSEC-2022-0013 -> 1.5.5',
          'thread_local@1.0.1 RUSTSEC-2022-0006 -> 1.1.4',
          'certifi@2021.10.8 PYSEC-2022-42986 -> 2022.12.7',
          'urllib3@1.26.7 PYSEC-2023-192 -> 1.26.17',
          'urllib3@1.26.7 PYSEC-2023-212 -> 1.26.18',
        ]),
      );
      expect(
        lines.some((l) => l.startsWith('golang.org/x/crypto@0.0.0-20201016220609-9e8e0b390897 GO-2021-0227 ')),
      ).toBe(true);
    });

    it('writes SARIF and CycloneDX VEX, and a table by default', async () => {
      const sarif = JSON.parse(
        (await run(['scan', '--db', t.url, '--format', 'sarif', `${REAL}/ripgrep@a6d05475fb_2020-11-23`])).stdout,
      ) as {
        version: string;
        runs: {
          results: {
            ruleId: string;
            locations: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } } }[];
          }[];
        }[];
      };
      expect(sarif.version).toBe('2.1.0');
      const regex = sarif.runs[0]?.results.find((r) => r.ruleId === 'RUSTSEC-2022-0013');
      expect(regex?.locations[0]?.physicalLocation.artifactLocation.uri).toBe(
        `${REAL}/ripgrep@a6d05475fb_2020-11-23/Cargo.lock`,
      );
      expect(regex?.locations[0]?.physicalLocation.region?.startLine).toBeGreaterThan(1);
      const vex = JSON.parse(
        (await run(['scan', '--db', t.url, '--format', 'vex', `${REAL}/ripgrep@a6d05475fb_2020-11-23/Cargo.lock`]))
          .stdout,
      ) as {
        bomFormat: string;
        vulnerabilities: { id: string }[];
      };
      expect(vex.bomFormat).toBe('CycloneDX');
      expect(vex.vulnerabilities.map((v) => v.id)).toContain('RUSTSEC-2022-0013');
      const table = await run(['scan', '--db', t.url, `${REAL}/ripgrep@a6d05475fb_2020-11-23`]);
      expect(table.stdout).toMatch(/RUSTSEC-2022-0013/);
      expect(table.stdout).not.toMatch(/\u001b\[/);
    });

    it('applies an ignore file with reasons and expiries, and fails on the level asked', async () => {
      const folder = path.join(dir, 'project');
      fs.mkdirSync(folder, { recursive: true });
      fs.copyFileSync(`${REAL}/ripgrep@a6d05475fb_2020-11-23/Cargo.lock`, path.join(folder, 'Cargo.lock'));
      const ids = found(
        JSON.parse((await run(['scan', '--db', t.url, '--format', 'json', folder])).stdout) as JsonReport,
      ).map((l) => l.split(' ')[1] as string);
      expect(ids.length).toBeGreaterThan(2);
      const toml = ids
        .map(
          (id) =>
            `[[IgnoredVulns]]\nid = "${id}"\nreason = "not reachable from ripgrep's use"\nignoreUntil = 2099-01-01T00:00:00Z\n`,
        )
        .join('\n');
      fs.writeFileSync(
        path.join(folder, 'osv-scanner.toml'),
        `${toml}\n[[IgnoredVulns]]\nid = "RUSTSEC-2022-0013"\nreason = "old"\nignoreUntil = 2000-01-01\n`,
      );
      const ignored = await run(['scan', '--db', t.url, '--format', 'json', folder]);
      expect(ignored.code).toBe(0);
      expect(found(JSON.parse(ignored.stdout) as JsonReport)).toEqual([]);
      // Without the ignore file's entries for them, a critical finding fails --fail-on high, and nothing fails never.
      fs.writeFileSync(path.join(folder, 'osv-scanner.toml'), '');
      expect((await run(['scan', '--db', t.url, '--fail-on', 'critical', folder])).code).toBe(1);
      expect((await run(['scan', '--db', t.url, '--fail-on', 'never', folder])).code).toBe(0);
      fs.writeFileSync(
        path.join(folder, 'osv-scanner.toml'),
        '[[IgnoredVulns]]\nid = "RUSTSEC-2022-0013"\nignoreUntil = 2099-01-01\n',
      );
      const refused = await run(['scan', '--db', t.url, folder]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/no "reason"/);
    });

    it('says what it cannot read, with exit code 2 for bad usage', async () => {
      const bad = path.join(dir, 'Cargo.lock');
      fs.writeFileSync(bad, 'this is = not [ toml');
      const out = await run(['scan', '--db', t.url, bad]);
      expect(out.code).toBe(2);
      expect(out.stdout).toMatch(/Cargo\.lock/);
      expect((await run(['scan', '--db', t.url, '--format', 'xml', REAL])).code).toBe(2);
      expect((await run(['scan', '--db', t.url, path.join(dir, 'missing')])).code).toBe(2);
      expect((await run(['scan', '--help'])).code).toBe(0);
    });
  });
}
