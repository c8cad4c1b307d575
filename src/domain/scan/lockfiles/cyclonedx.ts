/*
 * CycloneDX BOMs, JSON and XML, spec versions 1.2 to 1.6: the `components` of the BOM and, nested to
 * any depth, of each component (an assembly). Each component's `purl` names the package; the
 * metadata's own component (the thing the BOM describes), tools, pedigree ancestors and services
 * are not what the project ships. File names as CycloneDX recognises them: bom.json, *.cdx.json,
 * bom.xml, *.cdx.xml.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { LockfileError, type LockfileParser, type ScannedPackage } from '../inventory.js';
import { isRecord, readJson } from './read-document.js';
import { baseName, type SbomEntry, sbomPackages } from './sbom-packages.js';

const JSON_FORMAT = 'cyclonedx-json';
const XML_FORMAT = 'cyclonedx-xml';

function* jsonEntries(components: unknown): Generator<SbomEntry> {
  if (components === undefined) return;
  if (!Array.isArray(components)) throw new LockfileError(JSON_FORMAT, '`components` is not an array');
  for (const component of components) {
    if (!isRecord(component)) throw new LockfileError(JSON_FORMAT, 'a component is not an object');
    yield { purl: component['purl'], version: component['version'] };
    yield* jsonEntries(component['components']);
  }
}

function parseJson(text: string): ScannedPackage[] {
  const bom = readJson(JSON_FORMAT, text);
  if (!isRecord(bom) || bom['bomFormat'] !== 'CycloneDX') {
    throw new LockfileError(JSON_FORMAT, 'not a CycloneDX BOM (`bomFormat` is not "CycloneDX")');
  }
  return sbomPackages(jsonEntries(bom['components']));
}

// Values stay text ("1.10" is no number); every <component> is a list, however many there are;
// the namespace ("http://cyclonedx.org/schema/bom/1.4") and any prefix on it do not matter.
const XML = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  removeNSPrefix: true,
  isArray: (name) => name === 'component',
});

/** The <component> children of a <components> element, which is "" when empty. */
function* xmlEntries(components: unknown): Generator<SbomEntry> {
  if (!isRecord(components)) return;
  const list = components['component'];
  for (const component of Array.isArray(list) ? list : []) {
    // A component with no child elements reads as its text.
    if (!isRecord(component)) continue;
    yield { purl: component['purl'], version: component['version'] };
    yield* xmlEntries(component['components']);
  }
}

function parseXml(text: string): ScannedPackage[] {
  const valid = XMLValidator.validate(text);
  if (valid !== true)
    throw new LockfileError(XML_FORMAT, `not well-formed XML (line ${valid.err.line}): ${valid.err.msg}`);
  const document: unknown = XML.parse(text);
  const bom = isRecord(document) ? document['bom'] : undefined;
  if (bom === undefined) throw new LockfileError(XML_FORMAT, 'not a CycloneDX BOM (no <bom> element)');
  return sbomPackages(xmlEntries(isRecord(bom) ? bom['components'] : undefined));
}

export const cyclonedxJsonParser: LockfileParser = {
  format: JSON_FORMAT,
  matches: (path) => {
    const name = baseName(path);
    return name === 'bom.json' || name.endsWith('.cdx.json');
  },
  parse: (text) => parseJson(text),
};

export const cyclonedxXmlParser: LockfileParser = {
  format: XML_FORMAT,
  matches: (path) => {
    const name = baseName(path);
    return name === 'bom.xml' || name.endsWith('.cdx.xml');
  },
  parse: (text) => parseXml(text),
};
