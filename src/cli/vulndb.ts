import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../clock.js';
import { isOsvFileName, type OsvFileItem, recordsFromFile } from '../domain/scan/osv-files.js';
import { importOsvRecords, vulnDbStats } from '../domain/scan/vulndb.service.js';
import { say } from './runtime.js';
import { openScanDb } from './scan-db.js';

export const DB_USAGE = `Usage:
  embargo db import [--db PATH|URL] <file-or-folder>...
      Import OSV records: .json or .yaml files, folders of them (recursively), or zips such as
      osv.dev's per-ecosystem all.zip. Only records new or modified since the last import are written.
  embargo db stats [--db PATH|URL] [--json]
      Count the database's vulnerabilities, by ecosystem.`;

/** Every file under the paths, in a stable order; folders are walked, hidden folders skipped. */
export function* walk(paths: readonly string[], keep: (file: string) => boolean): Generator<string> {
  for (const p of paths) {
    const stat = fs.statSync(p);
    if (stat.isFile()) {
      if (keep(p)) yield p;
      continue;
    }
    const entries = fs.readdirSync(p, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const full = path.join(p, e.name);
      if (e.isDirectory()) {
        if (!e.name.startsWith('.') && e.name !== 'node_modules') yield* walk([full], keep);
      } else if (e.isFile() && keep(full)) {
        yield full;
      }
    }
  }
}

function* itemsOf(paths: readonly string[]): Generator<OsvFileItem> {
  for (const file of walk(paths, isOsvFileName)) yield* recordsFromFile(file, fs.readFileSync(file));
}

export async function dbCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { db: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help || (sub !== 'import' && sub !== 'stats')) {
    say(DB_USAGE);
    return values.help ? 0 : 2;
  }
  if (sub === 'import' && positionals.length === 0) throw new Error('db import needs a file or folder');
  for (const p of positionals) if (!fs.existsSync(p)) throw new Error(`no such file or folder: ${p}`);
  const db = await openScanDb(values.db);
  try {
    if (sub === 'import') {
      const started = performance.now();
      const report = await db
        .transaction()
        .execute((trx) => importOsvRecords(trx, { clock: systemClock }, itemsOf(positionals)));
      const seconds = (performance.now() - started) / 1000;
      say(
        `Read ${report.read} records in ${seconds.toFixed(1)} s: ${report.added} added, ${report.updated} updated, ` +
          `${report.unchanged} unchanged${report.kept ? `, ${report.kept} kept (the project's own)` : ''}, ${report.rejectedCount} refused.`,
      );
      for (const r of report.rejected) say(`  refused ${r.source}${r.id ? ` (${r.id})` : ''}: ${r.reason}`);
      if (report.rejectedCount > report.rejected.length)
        say(`  ... and ${report.rejectedCount - report.rejected.length} more`);
      return 0;
    }
    const stats = await vulnDbStats(db);
    if (values.json) {
      say(JSON.stringify(stats, null, 2));
      return 0;
    }
    say(
      `${stats.total} vulnerabilities (${stats.imported} imported, ${stats.own} the projects' own, ${stats.withdrawn} withdrawn)`,
    );
    say(`Latest modified: ${stats.latestModified ?? 'none'}`);
    for (const e of stats.ecosystems)
      say(`  ${e.ecosystem.padEnd(24)} ${String(e.vulns).padStart(8)} vulnerabilities in ${e.packages} packages`);
    return 0;
  } finally {
    await db.destroy();
  }
}
