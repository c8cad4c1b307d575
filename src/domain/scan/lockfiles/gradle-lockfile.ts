/*
 * Gradle dependency locking: one `group:artifact:version=configuration,...` line per locked module,
 * `#` comments, and an `empty=` line naming the configurations that lock nothing. The same format is
 * used for the build script's own classpath (buildscript-gradle.lockfile) and, before Gradle 6, for
 * one file per configuration under gradle/dependency-locks/.
 */
import type { LockfileParser, ScannedPackage } from '../inventory.js';

const FORMAT = 'gradle.lockfile';

function parse(text: string): ScannedPackage[] {
  const packages: ScannedPackage[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('empty=')) return;
    const equals = line.indexOf('=');
    // Lines that are not coordinates are skipped, as Gradle itself would refuse them rather than guess.
    if (equals === -1) return;
    const parts = line.slice(0, equals).split(':');
    const [group, artifact, version] = parts;
    if (parts.length !== 3 || !group || !artifact || !version) return;
    packages.push({ ecosystem: 'Maven', name: `${group}:${artifact}`, version, line: index + 1 });
  });
  return packages;
}

export const gradleLockfileParser: LockfileParser = {
  format: FORMAT,
  matches: (path) => {
    const segments = path.split(/[\\/]/);
    const base = segments.at(-1) ?? '';
    if (base === 'gradle.lockfile' || base === 'buildscript-gradle.lockfile') return true;
    return base.endsWith('.lockfile') && segments.at(-2) === 'dependency-locks' && segments.at(-3) === 'gradle';
  },
  parse: (text) => parse(text),
};
