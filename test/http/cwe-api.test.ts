import { renderToString } from 'preact-render-to-string';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCwe, searchCwe } from '../../src/domain/severity/cwe.js';
import { CWE_SEARCH_API, CwePicker, type CwePickerProps } from '../../src/http/views/cwe-picker.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';

describe.each(engines())('CWE search API on %s', (engine) => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());

  const search = (query: string) => ctx.app.inject({ method: 'GET', url: `/api/v1/cwe${query}` });

  it('answers anyone, with every field of each match and nothing else', async () => {
    const res = await search('?q=xss');
    expect(res.statusCode).toBe(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    const { results } = res.json();
    expect(results[0]).toEqual({
      id: 79,
      name: "Improper Neutralization of Input During Web Page Generation (XSS or 'Cross-site Scripting')",
      mappable: true,
      frequent: true,
    });
    expect(results).toEqual(searchCwe('xss'));
  });

  it('lists 20 frequent CWEs without a query, and honours the limit', async () => {
    const all = (await search('')).json().results;
    expect(all).toHaveLength(20);
    expect(all.every((c: { frequent: boolean }) => c.frequent)).toBe(true);
    expect((await search('?q=CWE-787&limit=1')).json().results).toEqual([findCwe(787)]);
    expect((await search('?q=sql%20injection&limit=50')).json().results[0].id).toBe(89);
    expect((await search('?q=%20%20&limit=50')).json().results).toHaveLength(50);
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=51', 'limit'],
    ['?limit=ten', 'limit'],
    ['?limit=-1', 'limit'],
    [`?q=${'a'.repeat(201)}`, 'q'],
  ])('refuses %s with VALIDATION_FAILED on %s', async (query, field) => {
    const res = await search(query);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field } });
  });

  it('refuses parameters it does not know', async () => {
    const res = await search('?q=xss&sort=name');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('VALIDATION_FAILED');
  });

  it('is in the OpenAPI document under the severity tag', async () => {
    const doc = (await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const op = doc.paths['/api/v1/cwe'].get;
    expect(op.tags).toEqual(['severity']);
    expect(op.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort()).toEqual([
      'query:limit',
      'query:q',
    ]);
    const item = op.responses['200'].content['application/json'].schema.properties.results.items;
    expect(Object.keys(item.properties).sort()).toEqual(['frequent', 'id', 'mappable', 'name']);
    expect(JSON.stringify(op.responses['400'])).toContain('#/components/schemas/ErrorResponse');
  });

  it('is the search the picker points its script at', async () => {
    const html = renderToString(CwePicker(props));
    const api = /data-cwe-api="([^"]+)"/.exec(html)?.[1];
    expect(api).toBe(CWE_SEARCH_API);
    const res = await ctx.app.inject({ method: 'GET', url: `${api}?q=overflow&limit=2` });
    expect(res.json().results.map((c: { id: number }) => c.id)).toEqual([120, 122]);
  });
});

const props: CwePickerProps = {
  selected: [{ id: 787, name: 'Out-of-bounds Write' }],
  query: 'overflow',
  results: searchCwe('overflow'),
  searchAction: '/p/acme/cases/7',
  addAction: '/p/acme/cases/7/cwes',
  removeAction: '/p/acme/cases/7/cwes/remove',
  csrfToken: 'CSRF-TOKEN-1',
  canEdit: true,
};

/** The <form ...>...</form> elements of a page, in order. */
const formsOf = (html: string) => html.match(/<form\b[\s\S]*?<\/form>/g) ?? [];

describe('CWE picker without JavaScript', () => {
  it('links each chosen CWE to MITRE and removes it with a CSRF-carrying POST', () => {
    const html = renderToString(CwePicker(props));
    expect(html).toContain(
      '<a href="https://cwe.mitre.org/data/definitions/787.html" rel="noreferrer noopener">CWE-787: Out-of-bounds Write</a>',
    );
    const remove = formsOf(html).filter((f) => f.includes('action="/p/acme/cases/7/cwes/remove"'));
    expect(remove).toHaveLength(1);
    expect(remove[0]).toContain('method="post"');
    expect(remove[0]).toContain('name="_csrf" value="CSRF-TOKEN-1"');
    expect(remove[0]).toContain('name="cwe" value="787"');
  });

  it('searches with a GET form back to the case page, anchored at the picker', () => {
    const html = renderToString(CwePicker(props));
    const [searchForm] = formsOf(html).filter((f) => f.includes('method="get"'));
    expect(searchForm).toContain('action="/p/acme/cases/7#cwe"');
    expect(searchForm).toContain('name="cwe_q"');
    expect(searchForm).toContain('value="overflow"');
    expect(searchForm).not.toContain('_csrf');
    const anchored = renderToString(CwePicker({ ...props, searchAction: '/p/acme/cases/7#cwe' }));
    expect(anchored).toContain('action="/p/acme/cases/7#cwe"');
  });

  it('offers an Add form for each result, keeping the search', () => {
    const html = renderToString(CwePicker(props));
    const adds = formsOf(html).filter((f) => f.includes('action="/p/acme/cases/7/cwes"'));
    // One per result, plus the add-by-number form.
    expect(adds).toHaveLength(props.results.length + 1);
    for (const [i, cwe] of props.results.entries()) {
      expect(adds[i]).toContain('method="post"');
      expect(adds[i]).toContain('name="_csrf" value="CSRF-TOKEN-1"');
      expect(adds[i]).toContain(`name="cwe" value="${cwe.id}"`);
      expect(adds[i]).toContain('name="cwe_q" value="overflow"');
      expect(html).toContain(`href="https://cwe.mitre.org/data/definitions/${cwe.id}.html"`);
    }
    const byNumber = adds.at(-1) ?? '';
    expect(byNumber).toMatch(/<input[^>]*type="text"[^>]*name="cwe"/);
    expect(byNumber).toContain('name="_csrf" value="CSRF-TOKEN-1"');
  });

  it('marks a result already chosen as added instead of offering it again', () => {
    const html = renderToString(CwePicker({ ...props, query: 'CWE-787', results: searchCwe('CWE-787') }));
    expect(formsOf(html).filter((f) => f.includes('name="cwe" value="787"'))).toHaveLength(1); // the Remove form
    expect(html).toMatch(/<button[^>]*disabled[^>]*>Added<\/button>/);
  });

  it('shows the frequent list for an empty search and says when nothing matched', () => {
    expect(renderToString(CwePicker({ ...props, query: '', results: searchCwe('') }))).toContain('Frequent weaknesses');
    const none = renderToString(CwePicker({ ...props, query: 'zzzz', results: [] }));
    expect(none).toContain('No matches for “zzzz”');
  });

  it('escapes what the user typed and shows the error beside the forms', () => {
    const query = '"><script>alert(1)</script>';
    const html = renderToString(CwePicker({ ...props, query, results: [], error: 'CWE-1 is not in the list.' }));
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script>');
    expect(html).toMatch(/<p class="notice error" role="alert"[^>]*>CWE-1 is not in the list.<\/p>/);
    expect(html).toContain('aria-invalid="true"');
  });

  it('shows only the list, with no form or token, to someone who may not edit', () => {
    const html = renderToString(CwePicker({ ...props, canEdit: false }));
    expect(html).toContain('CWE-787: Out-of-bounds Write');
    expect(formsOf(html)).toEqual([]);
    expect(html).not.toContain('CSRF-TOKEN-1');
    expect(html).not.toContain('data-add-action');
    expect(renderToString(CwePicker({ ...props, canEdit: false, selected: [] }))).toContain('No CWE recorded.');
  });
});
