/*
 * SPDX 2.x documents in JSON (*.spdx.json): each of `packages` names itself with an external
 * reference of type `purl` (category PACKAGE-MANAGER, PACKAGE_MANAGER before 2.3). A package with
 * several purls is one package under several names; the first that maps to an OSV ecosystem names
 * it. Tag-value, YAML and RDF documents are not read here.
 */
import { LockfileError, type LockfileParser, type ScannedPackage } from '../inventory.js';
import { isRecord, readJson } from './read-document.js';
import { purlToPackage } from '../purl.js';
import { baseName, type SbomEntry, sbomPackages } from './sbom-packages.js';

const FORMAT = 'spdx-json';

function purlOf(pkg: Record<string, unknown>): string | undefined {
  const refs = pkg['externalRefs'];
  if (refs === undefined) return undefined;
  if (!Array.isArray(refs)) throw new LockfileError(FORMAT, "a package's `externalRefs` is not an array");
  const purls = refs.flatMap((ref: unknown) =>
    isRecord(ref) && ref['referenceType'] === 'purl' && typeof ref['referenceLocator'] === 'string'
      ? [ref['referenceLocator'].trim()]
      : [],
  );
  return purls.find((purl) => purlToPackage(purl) !== undefined) ?? purls[0];
}

function* entries(packages: unknown): Generator<SbomEntry> {
  if (packages === undefined) return;
  if (!Array.isArray(packages)) throw new LockfileError(FORMAT, '`packages` is not an array');
  for (const pkg of packages) {
    if (!isRecord(pkg)) throw new LockfileError(FORMAT, 'a package is not an object');
    yield { purl: purlOf(pkg), version: pkg['versionInfo'] };
  }
}

function parse(text: string): ScannedPackage[] {
  const document = readJson(FORMAT, text);
  const version = isRecord(document) ? document['spdxVersion'] : undefined;
  if (!isRecord(document) || typeof version !== 'string' || !version.startsWith('SPDX-2.')) {
    throw new LockfileError(FORMAT, 'not an SPDX 2.x document (`spdxVersion` is not "SPDX-2.x")');
  }
  return sbomPackages(entries(document['packages']));
}

export const spdxJsonParser: LockfileParser = {
  format: FORMAT,
  matches: (path) => baseName(path).endsWith('.spdx.json'),
  parse: (text) => parse(text),
};
