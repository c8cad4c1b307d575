// One scan in a fresh process, for the cold figures of bench/scan/scan.js: open the database, read
// and parse the lockfile, match it, and print the time taken from the process start and the peak
// memory. With --floor it only reads and parses the lockfile (the same work with no matching).
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { connect } from '../../dist/db/connect.js';
import { parserFor } from '../../dist/domain/scan/lockfiles/index.js';
import { scanInputs } from '../../dist/domain/scan/scan.service.js';

const { values } = parseArgs({
  options: { db: { type: 'string' }, file: { type: 'string' }, floor: { type: 'boolean' } },
});
const file = values.file;
const parser = parserFor(file);
const packages = parser.parse(fs.readFileSync(file, 'utf8'), file);
let findings = 0;
if (!values.floor) {
  const db = connect({ url: values.db });
  const report = await scanInputs(db, { inputs: [{ path: file, format: parser.format, packages }], now: new Date() });
  findings = report.findings.length;
  await db.destroy();
}
process.stdout.write(
  JSON.stringify({
    ms: performance.now(),
    maxRssKb: process.resourceUsage().maxRSS,
    packages: packages.length,
    findings,
  }),
);
