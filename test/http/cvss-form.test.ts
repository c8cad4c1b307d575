import { describe, expect, it } from 'vitest';
import { scoreCvss } from '../../src/domain/severity/cvss.js';
import { DomainError } from '../../src/errors.js';
import { cvssFormDraft, readCvssForm } from '../../src/http/pages/cvss-form.js';

/** The m_ fields of a vector's metrics, as the radio buttons would send them. */
function radios(vector: string): Record<string, string> {
  const [, ...parts] = vector.split('/');
  return Object.fromEntries(parts.map((p) => p.split(':')).map(([k, v]) => [`m_${k}`, v ?? '']));
}

function refusal(body: Record<string, unknown>): { message: string; field: unknown } {
  try {
    readCvssForm(body);
  } catch (err) {
    if (err instanceof DomainError && err.code === 'VALIDATION_FAILED') {
      return { message: err.message, field: err.details?.field };
    }
    throw err;
  }
  throw new Error('accepted');
}

const base31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const base40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

describe('readCvssForm', () => {
  it('spells the canonical 3.1 vector from the radios, leaving out Not Defined metrics', () => {
    const form = readCvssForm({
      version: '3.1',
      intent: 'calculate',
      ...radios(base31),
      m_RL: 'X',
      m_MAV: 'X',
      m_E: 'F',
      m_CR: 'L',
      reason: '  Reachable from the internet.  ',
      vector: 'CVSS:4.0/ignored',
    });
    expect(form).toEqual({
      version: '3.1',
      intent: 'calculate',
      vector: `${base31}/E:F/CR:L`,
      score: scoreCvss(`${base31}/E:F/CR:L`),
      reason: 'Reachable from the internet.',
    });
  });

  it('puts metrics in canonical order whatever order the fields come in', () => {
    const shuffled = Object.fromEntries(Object.entries(radios(`${base40}/E:P/MSI:S/U:Red`)).reverse());
    const form = readCvssForm({ ...shuffled, intent: 'save', version: '4.0' });
    expect(form.vector).toBe(`${base40}/E:P/MSI:S/U:Red`);
    expect(form.score?.overall.nomenclature).toBe('CVSS-BTE');
    expect(form.intent).toBe('save');
  });

  it('names a missing base metric in field and message', () => {
    const { m_PR: _dropped, ...rest } = radios(base31);
    expect(refusal({ version: '3.1', intent: 'calculate', ...rest })).toEqual({
      field: 'PR',
      message: 'Privileges Required (PR) is required.',
    });
    expect(refusal({ version: '4.0', intent: 'save', ...radios(base40), m_AT: '' })).toEqual({
      field: 'AT',
      message: 'Attack Requirements (AT) is required.',
    });
    expect(refusal({ version: '3.1', intent: 'calculate', ...radios(base31), m_AV: 'X' }).field).toBe('AV');
  });

  it('puts an invalid radio value on its metric, with the scorer’s message', () => {
    expect(refusal({ version: '4.0', intent: 'calculate', ...radios(base40), m_SC: 'S' })).toEqual({
      field: 'SC',
      message: 'SC:S is not a valid value for Subsequent System Confidentiality Impact',
    });
    expect(refusal({ version: '3.1', intent: 'calculate', ...radios(base31), m_E: 'A' }).field).toBe('E');
  });

  it('applies a pasted vector of the form’s version, canonically', () => {
    const form = readCvssForm({
      version: '4.0',
      intent: 'apply',
      vector: ` ${base40.replace('AV:N/AC:L', 'AC:L/AV:N')}/E:X/CR:H `,
      m_AV: 'P',
    });
    expect(form).toMatchObject({ version: '4.0', intent: 'apply', vector: `${base40}/CR:H` });
  });

  it('refuses a pasted vector that is empty, invalid or of another version', () => {
    expect(refusal({ version: '3.1', intent: 'apply', vector: ' ' })).toEqual({
      field: 'vector',
      message: 'Paste a CVSS 3.1 vector to apply it.',
    });
    expect(refusal({ version: '3.1', intent: 'apply', vector: base31.replace('C:H', 'C:X') })).toEqual({
      field: 'vector',
      message: 'C:X is not a valid value for Confidentiality Impact',
    });
    expect(refusal({ version: '3.1', intent: 'apply', vector: base40 })).toEqual({
      field: 'vector',
      message: 'That is a CVSS 4.0 vector; this form takes CVSS 3.1.',
    });
    expect(refusal({ version: '4.0', intent: 'apply', vector: base31.replace('3.1', '3.0') })).toEqual({
      field: 'vector',
      message: 'CVSS 3.0 vectors are accepted only when imported; this form takes CVSS 4.0.',
    });
  });

  it('clears without a vector, whatever the radios say', () => {
    expect(readCvssForm({ version: '3.1', intent: 'clear', m_AV: 'Q', reason: 'Not a vulnerability.' })).toEqual({
      version: '3.1',
      intent: 'clear',
      vector: null,
      score: null,
      reason: 'Not a vulnerability.',
    });
  });

  it('scores only in 3.1 and 4.0', () => {
    for (const version of ['3.0', '2.0']) {
      const { field, message } = refusal({ version, intent: 'calculate', ...radios(base31) });
      expect(field).toBe('version');
      expect(message).toBe(`CVSS ${version} vectors are accepted only when imported; score in CVSS 3.1 or 4.0 here.`);
    }
    expect(refusal({ intent: 'calculate', ...radios(base31) }).field).toBe('version');
  });

  it('refuses an unknown intent and a reason over 2000 characters', () => {
    expect(refusal({ version: '3.1', intent: 'publish', ...radios(base31) }).field).toBe('intent');
    expect(refusal({ version: '3.1', ...radios(base31) }).field).toBe('intent');
    const long = { version: '3.1', intent: 'save', ...radios(base31) };
    expect(readCvssForm({ ...long, reason: `  ${'x'.repeat(2000)}  ` }).reason).toHaveLength(2000);
    expect(refusal({ ...long, reason: 'x'.repeat(2001) })).toEqual({
      field: 'reason',
      message: 'The reason is at most 2000 characters.',
    });
  });

  it('takes the first value of a repeated field, so a crafted body cannot smuggle an array', () => {
    const form = readCvssForm({ version: ['3.1', '4.0'], intent: 'calculate', ...radios(base31), m_AV: ['L', 'N'] });
    expect(form.vector).toBe(base31.replace('AV:N', 'AV:L'));
  });
});

describe('cvssFormDraft', () => {
  it('keeps what the user chose, typed and pasted after a refusal', () => {
    const { m_PR: _dropped, ...rest } = radios(base31);
    const body = { version: '3.1', intent: 'calculate', ...rest, m_E: 'X', vector: 'CVSS:3.1/AV:Q', reason: 'Why' };
    expect(cvssFormDraft(body)).toEqual({
      version: '3.1',
      vector: 'CVSS:3.1/AV:N/AC:L/UI:N/S:U/C:H/I:H/A:H',
      pasted: 'CVSS:3.1/AV:Q',
      reason: 'Why',
    });
    expect(cvssFormDraft({ version: '4.0' })).toEqual({ version: '4.0', vector: null, pasted: '', reason: '' });
  });
});
