/*
 * NuGet's packages.lock.json: `dependencies` maps each target framework ("net6.0", "net8.0/win-x64")
 * to the packages restored for it, direct and transitive, each with the `resolved` version. A package
 * restored for several frameworks is one package to match, so (name, version) pairs are listed once.
 */
import { LockfileError, type LockfileParser, type ScannedPackage } from '../inventory.js';
import { isRecord, readJsonObject } from './read-document.js';

const FORMAT = 'packages.lock.json';

function parse(text: string): ScannedPackage[] {
  const document = readJsonObject(FORMAT, text);
  const frameworks = document['dependencies'] ?? {};
  if (!isRecord(frameworks)) throw new LockfileError(FORMAT, '`dependencies` is not an object');

  const packages = new Map<string, ScannedPackage>();
  for (const [framework, entries] of Object.entries(frameworks)) {
    if (!isRecord(entries)) throw new LockfileError(FORMAT, `\`dependencies.${framework}\` is not an object`);
    for (const [name, info] of Object.entries(entries)) {
      // "Project" entries are other projects of the solution: they have no `resolved` and are not on NuGet.
      const resolved = isRecord(info) ? info['resolved'] : undefined;
      if (typeof resolved !== 'string' || resolved === '') continue;
      const key = `${name}@${resolved}`;
      if (!packages.has(key)) packages.set(key, { ecosystem: 'NuGet', name, version: resolved });
    }
  }
  return [...packages.values()];
}

export const nugetLockParser: LockfileParser = {
  format: FORMAT,
  matches: (path) => path.split(/[\\/]/).pop() === 'packages.lock.json',
  parse: (text) => parse(text),
};
