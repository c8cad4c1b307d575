import { describe, expect, it } from 'vitest';
import { readInventory } from '../../src/domain/scan/dependent-inventory.js';

// What a dependent registers, read into the reverse index's packages. Pure: no database.

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return {
      code: (err as { code?: string }).code,
      message: (err as Error).message,
      details: (err as { details?: unknown }).details,
    };
  }
  return undefined;
};

describe("a dependent's registration", () => {
  it('reads a file by its name, without the byte order mark an editor wrote, each package once', () => {
    const read = readInventory({
      kind: 'file',
      fileName: 'C:\\work\\requirements.txt',
      text: '\uFEFFflask==2.0.1\nJinja2==3.0.0\nflask==2.0.1\nrequests\n',
    });
    expect(read.name).toBe('requirements.txt');
    expect(read.format).toBe('requirements.txt');
    // The unpinned requirement matches no version and is left out, as the scanner leaves it out.
    expect(read.packages).toEqual([
      { ecosystem: 'PyPI', name: 'flask', version: '2.0.1' },
      { ecosystem: 'PyPI', name: 'Jinja2', version: '3.0.0' },
    ]);
    expect(read.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reads package URLs, a versionless one standing for every version', () => {
    const read = readInventory({ kind: 'purls', text: '# ours\npkg:npm/left-pad@1.1.0\n\npkg:pypi/Django\n' });
    expect(read.packages).toEqual([
      { ecosystem: 'npm', name: 'left-pad', version: '1.1.0' },
      { ecosystem: 'PyPI', name: 'django', version: '' },
    ]);
  });

  it('refuses what it cannot read, saying where', () => {
    expect(refusal(() => readInventory({ kind: 'file', fileName: 'notes.txt', text: 'x' }))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'file' },
    });
    expect(refusal(() => readInventory({ kind: 'file', fileName: 'package-lock.json', text: '{' }))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'file', format: 'package-lock.json' },
    });
    expect(refusal(() => readInventory({ kind: 'purls', text: 'pkg:npm/a@1\nnot a purl' }))).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'purls', line: 2 },
    });
    expect(
      refusal(() => readInventory({ kind: 'file', fileName: 'requirements.txt', text: 'requests\n' }))?.message,
    ).toBe('The file names no package with a version.');
  });
});
