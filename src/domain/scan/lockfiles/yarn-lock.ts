import { isMap, isScalar } from 'yaml';
import { type LockfileParser, type ScannedPackage } from '../inventory.js';
import { readYamlMap } from './read-document.js';
import { baseName, collectNpmPackages, descriptorName, gitCommitOf, type NpmEntry } from './npm-common.js';
import { yarnV1Entries } from './yarn-lock-v1.js';

// yarn.lock comes in two formats under one name: Yarn 1's own text format (yarn-lock-v1.ts) and,
// from Yarn 2 ("Berry") on, YAML with a `__metadata` entry. Berry entries are keyed by the
// descriptors they satisfy and name their `resolution` ("name@npm:1.2.3", "name@https://...git#commit=...",
// "name@patch:name@npm%3A1.2.3#..."); the resolution's name is the real package, even behind an alias.
// yarn.lock records no dependency groups, so none are reported.

const FORMAT = 'yarn.lock';

function isBerry(source: string): boolean {
  return /^"?__metadata"?:/m.test(source);
}

function* berryEntries(source: string): Generator<NpmEntry> {
  const read = readYamlMap(FORMAT, source);
  if (!read) return;
  const { map: contents, lines: lineCounter } = read;

  for (const { key, value } of contents.items) {
    if (!isScalar(key) || !isMap(value)) continue;
    const descriptors = String(key.value);
    if (descriptors === '__metadata') continue;
    const resolution = String(value.get('resolution') ?? '');
    // The project's own root workspace is not a dependency; other workspaces are packages it ships.
    if (resolution.endsWith('@workspace:.')) continue;
    const name = descriptorName(resolution || descriptors.split(',')[0]?.trim() || '');
    yield {
      name,
      version: String(value.get('version') ?? ''),
      commit: resolution ? gitCommitOf(resolution.slice(name.length + 1)) : '',
      line: key.range ? lineCounter.linePos(key.range[0]).line : undefined,
    };
  }
}

/**
 * Repeats of a name and version (a `patch:` entry beside the version it patches, two aliases of
 * one package in Yarn 1) are reported once, at the first entry.
 */
function parseYarnLock(source: string): ScannedPackage[] {
  return collectNpmPackages(isBerry(source) ? berryEntries(source) : yarnV1Entries(source));
}

export const yarnLockParser: LockfileParser = {
  format: FORMAT,
  matches: (path) => baseName(path) === 'yarn.lock',
  parse: (source) => parseYarnLock(source),
};
