import { describe, expect, it } from 'vitest';
import { readOsvRecord } from '../../src/domain/scan/osv-record.js';

// What the vulnerability database keeps of a record as columns. Pure: no database.

const base = { id: 'PYSEC-1', modified: '2023-11-07T20:24:23.946863Z' };

describe('reading an OSV record', () => {
  it('keeps dates as ISO-8601 UTC text, so imports compare them as text', () => {
    const read = readOsvRecord({ ...base, published: '2020-08-05T16:15:00+02:00' });
    expect(read).toMatchObject({
      ok: true,
      vuln: { modified: '2023-11-07T20:24:23.946Z', published: '2020-08-05T14:15:00.000Z' },
    });
    expect(readOsvRecord({ ...base, modified: 'yesterday' })).toEqual({
      ok: false,
      id: 'PYSEC-1',
      reason: 'the record has no valid "modified" date',
    });
  });

  it('takes the summary, or else the first line of the details, trimmed and at most 200 characters', () => {
    const summaryOf = (extra: Record<string, unknown>) => {
      const read = readOsvRecord({ ...base, ...extra });
      return read.ok ? read.vuln.summary : read.reason;
    };
    expect(summaryOf({ summary: 'Stated', details: 'Other' })).toBe('Stated');
    expect(summaryOf({ details: '\n\n  A crafted request crashes the server.  \r\nMore text.\n' })).toBe(
      'A crafted request crashes the server.',
    );
    expect(summaryOf({ details: 'One line only' })).toBe('One line only');
    expect(summaryOf({ details: `${'x'.repeat(250)}\nrest` })).toBe(`${'x'.repeat(197)}...`);
    expect(summaryOf({ details: '   ' })).toBe('');
    expect(summaryOf({})).toBe('');
  });

  it('refuses malformed parts with the reason', () => {
    expect(readOsvRecord([])).toMatchObject({ ok: false, reason: 'an OSV record is a JSON object' });
    expect(readOsvRecord({ ...base, aliases: 'CVE-1' })).toMatchObject({
      ok: false,
      reason: '"aliases" must be an array of strings',
    });
    expect(
      readOsvRecord({
        ...base,
        affected: [
          { package: { ecosystem: 'PyPI', name: 'x' }, ranges: [{ type: 'ECOSYSTEM', events: [{ fixd: '1' }] }] },
        ],
      }),
    ).toMatchObject({
      ok: false,
      reason: 'each event is one of introduced, fixed, last_affected or limit with a string value',
    });
  });
});
