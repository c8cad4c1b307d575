// Types for the parts of @secvisogram/csaf-validator-lib 2.0 the CSAF tests use: the package is
// JavaScript with JSDoc and ships no declarations. The export names are those of its README and
// its mandatoryTests.js, optionalTests.js, informativeTests.js and schemaTests.js.

declare module '@secvisogram/csaf-validator-lib/validateStrict.js' {
  export interface Finding {
    message: string;
    instancePath: string;
  }

  export interface TestResult {
    name: string;
    isValid: boolean;
    errors: Finding[];
    warnings: Finding[];
    infos: Finding[];
  }

  /** A test of the library; its function name is the test's name (e.g. mandatoryTest_6_1_27_9). */
  export type DocumentTest = (doc: unknown) => unknown;

  /** Runs the tests, refusing any function that is not one of the library's own. */
  export default function validateStrict(
    tests: DocumentTest[],
    doc: unknown,
  ): Promise<{ isValid: boolean; tests: TestResult[] }>;
}

declare module '@secvisogram/csaf-validator-lib/schemaTests.js' {
  import type { DocumentTest } from '@secvisogram/csaf-validator-lib/validateStrict.js';

  export const csaf_2_0: DocumentTest, csaf_2_0_strict: DocumentTest;
}

declare module '@secvisogram/csaf-validator-lib/mandatoryTests.js' {
  import type { DocumentTest } from '@secvisogram/csaf-validator-lib/validateStrict.js';

  export const mandatoryTest_6_1_1: DocumentTest,
    mandatoryTest_6_1_2: DocumentTest,
    mandatoryTest_6_1_3: DocumentTest,
    mandatoryTest_6_1_4: DocumentTest,
    mandatoryTest_6_1_5: DocumentTest,
    mandatoryTest_6_1_6: DocumentTest,
    mandatoryTest_6_1_7: DocumentTest,
    mandatoryTest_6_1_8: DocumentTest,
    mandatoryTest_6_1_9: DocumentTest,
    mandatoryTest_6_1_10: DocumentTest,
    mandatoryTest_6_1_11: DocumentTest,
    mandatoryTest_6_1_12: DocumentTest,
    mandatoryTest_6_1_13: DocumentTest,
    mandatoryTest_6_1_14: DocumentTest,
    mandatoryTest_6_1_15: DocumentTest,
    mandatoryTest_6_1_16: DocumentTest,
    mandatoryTest_6_1_17: DocumentTest,
    mandatoryTest_6_1_18: DocumentTest,
    mandatoryTest_6_1_19: DocumentTest,
    mandatoryTest_6_1_20: DocumentTest,
    mandatoryTest_6_1_21: DocumentTest,
    mandatoryTest_6_1_22: DocumentTest,
    mandatoryTest_6_1_23: DocumentTest,
    mandatoryTest_6_1_24: DocumentTest,
    mandatoryTest_6_1_25: DocumentTest,
    mandatoryTest_6_1_26: DocumentTest,
    mandatoryTest_6_1_27_1: DocumentTest,
    mandatoryTest_6_1_27_2: DocumentTest,
    mandatoryTest_6_1_27_3: DocumentTest,
    mandatoryTest_6_1_27_4: DocumentTest,
    mandatoryTest_6_1_27_5: DocumentTest,
    mandatoryTest_6_1_27_6: DocumentTest,
    mandatoryTest_6_1_27_7: DocumentTest,
    mandatoryTest_6_1_27_8: DocumentTest,
    mandatoryTest_6_1_27_9: DocumentTest,
    mandatoryTest_6_1_27_10: DocumentTest,
    mandatoryTest_6_1_27_11: DocumentTest,
    mandatoryTest_6_1_28: DocumentTest,
    mandatoryTest_6_1_29: DocumentTest,
    mandatoryTest_6_1_30: DocumentTest,
    mandatoryTest_6_1_31: DocumentTest,
    mandatoryTest_6_1_32: DocumentTest,
    mandatoryTest_6_1_33: DocumentTest;
}

declare module '@secvisogram/csaf-validator-lib/optionalTests.js' {
  import type { DocumentTest } from '@secvisogram/csaf-validator-lib/validateStrict.js';

  export const optionalTest_6_2_1: DocumentTest,
    optionalTest_6_2_2: DocumentTest,
    optionalTest_6_2_3: DocumentTest,
    optionalTest_6_2_4: DocumentTest,
    optionalTest_6_2_5: DocumentTest,
    optionalTest_6_2_6: DocumentTest,
    optionalTest_6_2_7: DocumentTest,
    optionalTest_6_2_8: DocumentTest,
    optionalTest_6_2_9: DocumentTest,
    optionalTest_6_2_10: DocumentTest,
    optionalTest_6_2_11: DocumentTest,
    optionalTest_6_2_12: DocumentTest,
    optionalTest_6_2_13: DocumentTest,
    optionalTest_6_2_14: DocumentTest,
    optionalTest_6_2_15: DocumentTest,
    optionalTest_6_2_16: DocumentTest,
    optionalTest_6_2_17: DocumentTest,
    optionalTest_6_2_18: DocumentTest,
    optionalTest_6_2_19: DocumentTest,
    optionalTest_6_2_20: DocumentTest;
}

declare module '@secvisogram/csaf-validator-lib/informativeTests.js' {
  import type { DocumentTest } from '@secvisogram/csaf-validator-lib/validateStrict.js';

  export const informativeTest_6_3_1: DocumentTest,
    informativeTest_6_3_2: DocumentTest,
    informativeTest_6_3_3: DocumentTest,
    informativeTest_6_3_4: DocumentTest,
    informativeTest_6_3_5: DocumentTest,
    informativeTest_6_3_6: DocumentTest,
    informativeTest_6_3_7: DocumentTest,
    informativeTest_6_3_8: DocumentTest,
    informativeTest_6_3_9: DocumentTest,
    informativeTest_6_3_10: DocumentTest,
    informativeTest_6_3_11: DocumentTest;
}
