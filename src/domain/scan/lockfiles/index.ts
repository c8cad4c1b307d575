import type { LockfileParser } from '../inventory.js';
import { cargoLockParser } from './cargo-lock.js';
import { composerLockParser } from './composer-lock.js';
import { cyclonedxJsonParser, cyclonedxXmlParser } from './cyclonedx.js';
import { gemfileLockParser } from './gemfile-lock.js';
import { goModParser } from './go-mod.js';
import { gradleLockfileParser } from './gradle-lockfile.js';
import { nugetLockParser } from './nuget-lock.js';
import { npmShrinkwrapParser, packageLockParser } from './package-lock.js';
import { pipfileLockParser } from './pipfile-lock.js';
import { pnpmLockParser } from './pnpm-lock.js';
import { poetryLockParser } from './poetry-lock.js';
import { pomXmlParser } from './pom-xml.js';
import { requirementsParser } from './requirements.js';
import { spdxJsonParser } from './spdx.js';
import { uvLockParser } from './uv-lock.js';
import { yarnLockParser } from './yarn-lock.js';

// Every input format the scanner reads. Each parser's `matches` looks at the file's name (and for
// some, its folder), and no two take the same name, so the order only matters for reading.
export const PARSERS: readonly LockfileParser[] = [
  packageLockParser,
  npmShrinkwrapParser,
  yarnLockParser,
  pnpmLockParser,
  requirementsParser,
  poetryLockParser,
  pipfileLockParser,
  uvLockParser,
  goModParser,
  cargoLockParser,
  gemfileLockParser,
  composerLockParser,
  pomXmlParser,
  gradleLockfileParser,
  nugetLockParser,
  cyclonedxJsonParser,
  cyclonedxXmlParser,
  spdxJsonParser,
];

/** The parser for a file, or undefined when the scanner does not read files of this name. */
export function parserFor(filePath: string): LockfileParser | undefined {
  return PARSERS.find((p) => p.matches(filePath));
}

/** The parser with a format name ("package-lock.json", "cyclonedx-json"), for uploads that say what they are. */
export function parserNamed(format: string): LockfileParser | undefined {
  return PARSERS.find((p) => p.format === format);
}
