import { describe, expect, it } from 'vitest';
import { cweCatalog } from '../../src/domain/severity/cwe-catalog.js';
import { findCwe, parseCweId, searchCwe } from '../../src/domain/severity/cwe.js';
import { DomainError } from '../../src/errors.js';

function failure(run: () => unknown): DomainError {
  try {
    run();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

const ids = (list: { id: number }[]) => list.map((c) => c.id);

describe('CWE catalog', () => {
  it('holds the union of Vulnogram’s three lists, each id once, sorted', () => {
    // 752 in cwe-all.json plus 109 that only cwe-mappable.json or cwe-frequent.json name (CWE-22 among them).
    expect(cweCatalog).toHaveLength(861);
    expect(ids([...cweCatalog])).toEqual(ids([...cweCatalog]).sort((a, b) => a - b));
    expect(new Set(ids([...cweCatalog])).size).toBe(cweCatalog.length);
    expect(cweCatalog.filter((c) => c.mappable)).toHaveLength(838);
    expect(cweCatalog.filter((c) => c.frequent)).toHaveLength(131);
    for (const c of cweCatalog) expect(c.name).toBe(c.name.trim());
  });

  it('names well-known CWEs as MITRE does', () => {
    expect(findCwe(79)).toEqual({
      id: 79,
      name: "Improper Neutralization of Input During Web Page Generation (XSS or 'Cross-site Scripting')",
      mappable: true,
      frequent: true,
    });
    expect(findCwe(787)?.name).toBe('Out-of-bounds Write');
    // CWE-20 is a common but "discouraged" mapping: frequent, not mappable.
    expect(findCwe(20)).toEqual({ id: 20, name: 'Improper Input Validation', mappable: false, frequent: true });
    expect(findCwe(22)?.name).toBe("Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')");
    expect(findCwe(1427)?.name).toBe('Improper neutralization of input used for LLM prompting');
    expect(findCwe(1)).toBeUndefined();
  });
});

describe('parseCweId', () => {
  it.each([79, '79', ' 79 ', 'CWE-79', 'cwe-79', 'Cwe 79', 'CWE079'])('reads %j as 79', (input) => {
    expect(parseCweId(input)).toBe(79);
  });

  it.each(['', 'CWE-', 'xss', '79a', 'CVE-2024-1234', '-79', '7 9', 'CWE-79,CWE-89', 0, -79, 79.5, Number.NaN])(
    'refuses %j as malformed',
    (input) => {
      const err = failure(() => parseCweId(input));
      expect(err.code).toBe('VALIDATION_FAILED');
      expect(err.details).toEqual({ field: 'cwe' });
      expect(err.message).toContain('CWE-79');
    },
  );

  it.each([1, 'CWE-99999', 999999999])('refuses %j as not in the list, naming it', (input) => {
    const err = failure(() => parseCweId(input));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.details).toEqual({ field: 'cwe' });
    expect(err.message).toMatch(/^CWE-\d+ is not in the CWE list/);
  });
});

describe('searchCwe', () => {
  it('finds cross-site scripting by its abbreviation, CWE-79 first', () => {
    const results = searchCwe('xss');
    expect(results[0]?.id).toBe(79);
    for (const c of results) expect(c.name.toLowerCase()).toContain('xss');
  });

  it('needs every word, in any case and order, and puts the frequent CWE first', () => {
    const results = searchCwe('Injection SQL');
    expect(ids(results)).toContain(564);
    expect(results[0]?.id).toBe(89);
    for (const c of results) expect(c.name.toLowerCase()).toMatch(/sql[\s\S]*injection|injection[\s\S]*sql/);
    expect(searchCwe('sql injection nonsenseword')).toEqual([]);
  });

  it('puts the exact id first, then ids starting with the digits, frequent ones first', () => {
    const results = searchCwe('79');
    expect(results[0]?.id).toBe(79);
    expect(results[1]?.id).toBe(798); // Hard-coded credentials: frequent, among 79x
    for (const c of results.slice(1)) expect(String(c.id).startsWith('79')).toBe(true);
    const prefixed = cweCatalog.filter((c) => String(c.id).startsWith('79'));
    expect(ids(results).sort((a, b) => a - b)).toEqual(ids(prefixed));
  });

  it('reads "CWE-78" as the id 78, not as words', () => {
    const results = searchCwe('CWE-78', 5);
    expect(ids(results).slice(0, 2)).toEqual([78, 787]);
    expect(results).toHaveLength(5);
    for (const c of results) expect(String(c.id).startsWith('78')).toBe(true);
  });

  it('lists overflows with the frequent ones before the rest', () => {
    expect(ids(searchCwe('overflow'))).toEqual([120, 122, 190, 121]);
  });

  it('ranks whole-word matches above matches inside a word', () => {
    const results = searchCwe('race', 50);
    const whole = results.filter((c) => /(^|[^a-z0-9])race/i.test(c.name));
    expect(whole.length).toBeGreaterThan(1);
    // "Sensitive Trace Data" holds "race" only inside a word: it comes after every race condition.
    expect(results.at(-1)?.id).toBe(1323);
    expect(results).toHaveLength(whole.length + 1);
  });

  it('gives the frequent list for an empty query, and honours the limit', () => {
    expect(searchCwe('  ', 200)).toEqual(cweCatalog.filter((c) => c.frequent));
    expect(searchCwe('')).toHaveLength(20);
    expect(searchCwe('injection', 3)).toHaveLength(3);
    expect(searchCwe('injection', 0)).toEqual([]);
    expect(searchCwe('no such weakness anywhere')).toEqual([]);
  });
});
