import fs from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';

// The official schemas of every advisory format, compiled once, offline, from the copies in
// test/fixtures/schemas/ (each folder's SOURCE.md names their source and licence). Used by the
// format tests and by the tests that export real published advisories.

const SCHEMAS = new URL('../fixtures/schemas/', import.meta.url);
const read = (path: string): Record<string, unknown> =>
  JSON.parse(fs.readFileSync(new URL(path, SCHEMAS), 'utf8')) as Record<string, unknown>;

function draft07(): Ajv {
  // The CVE schemas put `required`/`properties` at the root without `type: object`, which only
  // strictTypes complains about; CVE Services compiles them the same way.
  const ajv = new Ajv({ allErrors: true, strictTypes: false });
  // ajv-formats is CommonJS: under NodeNext its default import is the module, whose .default is the plugin.
  ajvFormats.default(ajv);
  return ajv;
}

function compileOsv(): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  ajvFormats.default(ajv);
  return ajv.compile(read('osv/schema.json'));
}

function compileCve(): { published: ValidateFunction; rejected: ValidateFunction } {
  const ajv = draft07();
  return {
    published: ajv.compile(read('cve5/5.1_published_cna_container.json')),
    rejected: ajv.compile(read('cve5/5.1_rejected_cna_container.json')),
  };
}

function compileCycloneDx(): ValidateFunction {
  const ajv = draft07();
  // Annotation keywords ajv does not know; registering them keeps strict mode on for the rest.
  ajv.addKeyword('meta:enum');
  // Formats ajv-formats does not define. An IRI reference (RFC 3987) is a URI reference that may
  // hold non-ASCII characters; an internationalised e-mail address (RFC 6531) may be non-ASCII.
  ajv.addFormat('iri-reference', (value: string) => {
    if (/[\s\u0000-\u001f\u007f<>"{}|\\^`]/u.test(value)) return false;
    const scheme = /^([^:/?#]+):/.exec(value)?.[1];
    return scheme === undefined || /^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme);
  });
  ajv.addFormat('idn-email', /^[^\s@"(),:;<>[\\\]]+@[^\s@"(),:;<>[\\\]]+\.[^\s@"(),:;<>[\\\].]+$/u);
  ajv.addSchema(read('cyclonedx/spdx.schema.json'));
  ajv.addSchema(read('cyclonedx/jsf-0.82.schema.json'));
  return ajv.compile(read('cyclonedx/bom-1.6.schema.json'));
}

function compileCsaf(): { document: ValidateFunction; provider: ValidateFunction } {
  // The CSAF schema $refs FIRST's CVSS schemas by URL, so they are registered under those URLs.
  // They declare draft-04/draft-07, which Ajv2020 cannot load beside 2020-12; the keywords they use
  // mean the same in 2020-12, so only the declarations (`$schema`, draft-04's `id`) are dropped.
  const ajv = new Ajv2020({ allErrors: true });
  ajvFormats.default(ajv);
  ajv.addVocabulary(['license']);
  for (const version of ['2.0', '3.0', '3.1']) {
    const { $schema: _draft, id: _id, ...cvss } = read(`csaf/first/cvss-v${version}.json`);
    ajv.addSchema(cvss, `https://www.first.org/cvss/cvss-v${version}.json`);
  }
  ajv.addSchema(read('csaf/csaf_json_schema.json'));
  const document = ajv.getSchema('https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json');
  if (!document) throw new Error('the CSAF schema did not compile');
  return { document, provider: ajv.compile(read('csaf/provider_json_schema.json')) };
}

let cache: ReturnType<typeof compileAll> | undefined;
function compileAll() {
  return { osv: compileOsv(), cve: compileCve(), cyclonedx: compileCycloneDx(), csaf: compileCsaf() };
}

/** The validators, compiled on first use. */
export function formatSchemas(): ReturnType<typeof compileAll> {
  cache ??= compileAll();
  return cache;
}

/** The validator's errors, short enough for an assertion message. */
export const schemaErrors = (validate: ValidateFunction): string =>
  JSON.stringify(validate.errors ?? [], null, 1).slice(0, 2000);
