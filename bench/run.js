// Runs every benchmark in bench/ in turn (npm run bench). Each prints its figures and its floor.
import { spawnSync } from 'node:child_process';

const benches = ['bench/intake.js', 'bench/scan/scan.js', 'bench/scan/dependents.js'];
let failed = false;
for (const file of benches) {
  console.log(`\n== ${file}`);
  const result = spawnSync(process.execPath, [file, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
