import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoreCvss } from '../../src/domain/severity/cvss.js';
import { explainVector } from '../../src/domain/severity/cvss-words.js';
import { createTestContext, type TestContext } from '../support/app.js';
import { engines } from '../support/databases.js';

const v31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/E:P/RL:O/CR:H/MAV:A';
const v40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P/MAV:A/AU:Y';

describe.each(engines())('GET /api/v1/cvss on %s', (engine) => {
  let ctx: TestContext;

  beforeAll(async () => {
    ctx = await createTestContext(engine);
  });
  afterAll(() => ctx.close());

  const score = (vector: string) =>
    ctx.app.inject({ method: 'GET', url: `/api/v1/cvss?vector=${encodeURIComponent(vector)}` });

  it.each([
    ['3.1', v31],
    ['4.0', v40],
  ])('scores a %s vector as scoreCvss does, with its metrics in plain words', async (_version, vector) => {
    const res = await score(vector);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ...scoreCvss(vector), metrics: explainVector(vector) });
  });

  it('answers with the canonical vector and every score group of 3.1', async () => {
    const body = (await score('CVSS:3.1/CR:H/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H/E:P/RL:O/MAV:A/IR:X')).json();
    expect(body.vector).toBe(v31);
    expect(Object.keys(body).sort()).toEqual([
      'base',
      'environmental',
      'metrics',
      'overall',
      'temporal',
      'vector',
      'version',
    ]);
    expect(body.metrics[0]).toEqual({
      key: 'AV',
      name: 'Attack Vector',
      group: 'base',
      value: 'N',
      label: 'Network',
      explanation: 'An attacker can exploit it remotely over the network, from anywhere the component is reachable.',
    });
  });

  it('gives the 4.0 nomenclature and the threat score', async () => {
    const body = (await score(v40)).json();
    expect(body.overall.nomenclature).toBe('CVSS-BTE');
    expect(body.threat).toEqual(scoreCvss(v40).threat);
    expect(body.temporal).toBeUndefined();
  });

  it('refuses a bad metric with 400 VALIDATION_FAILED naming it', async () => {
    const res = await score(v40.replace('AT:N', 'AT:Q'));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: {
        code: 'VALIDATION_FAILED',
        message: 'AT:Q is not a valid value for Attack Requirements',
        details: { field: 'vector', metric: 'AT' },
      },
    });
    const missing = await score('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H');
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.details).toEqual({ field: 'vector', metric: 'A' });
    expect(missing.json().error.message).toMatch(/^Availability Impact \(A\) is missing/);
  });

  it('refuses a missing or empty vector as VALIDATION_FAILED on the vector field', async () => {
    for (const url of ['/api/v1/cvss', '/api/v1/cvss?vector=']) {
      const res = await ctx.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'vector' } });
    }
  });

  it('needs no sign-in and keeps the vector out of the logs', async () => {
    const marker = 'CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N';
    const res = await score(marker);
    expect(res.statusCode).toBe(200);
    expect(ctx.logs()).toContain('/api/v1/cvss?vector=[redacted]');
    expect(ctx.logs()).not.toContain('AV:P');
  });

  it('is described in the OpenAPI document under the severity tag', async () => {
    const doc = (await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const operation = doc.paths['/api/v1/cvss']?.get;
    expect(operation.tags).toEqual(['severity']);
    expect(operation.parameters).toContainEqual(
      expect.objectContaining({ name: 'vector', in: 'query', required: true }),
    );
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '400']);
  });
});
