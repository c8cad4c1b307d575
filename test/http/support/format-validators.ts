import validateStrict from '@secvisogram/csaf-validator-lib/validateStrict.js';
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js';
import { csaf_2_0_strict } from '@secvisogram/csaf-validator-lib/schemaTests.js';
import type { ValidateFunction } from 'ajv';
import { formatSchemas } from '../../support/format-schemas.js';

// The official-schema validators of test/support/format-schemas.ts as lists of errors, for
// documents as the routes serve them, and the CSAF validator's strict and mandatory tests.

function errorsOf(validate: ValidateFunction, doc: unknown): string[] {
  return validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

export const osvErrors = (doc: unknown) => errorsOf(formatSchemas().osv, doc);
export const cveErrors = (doc: unknown, withdrawn: boolean) =>
  errorsOf(withdrawn ? formatSchemas().cve.rejected : formatSchemas().cve.published, doc);
export const cycloneDxErrors = (doc: unknown) => errorsOf(formatSchemas().cyclonedx, doc);
export const csafSchemaErrors = (doc: unknown) => errorsOf(formatSchemas().csaf.document, doc);
export const providerMetadataErrors = (doc: unknown) => errorsOf(formatSchemas().csaf.provider, doc);

/** The csaf-validator-lib strict schema test and every mandatory test (section 6.1): their errors. */
export async function csafMandatoryErrors(doc: unknown): Promise<string[]> {
  const { tests } = await validateStrict([csaf_2_0_strict, ...Object.values(mandatory)], doc);
  return tests.flatMap((t) => t.errors.map((f) => `${t.name} ${f.instancePath}: ${f.message}`));
}
