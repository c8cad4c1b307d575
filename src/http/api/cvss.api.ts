import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { scoreCvss } from '../../domain/severity/cvss.js';
import { explainVector } from '../../domain/severity/cvss-words.js';
import { errors } from './schemas.js';

const Rating = Type.Union(['None', 'Low', 'Medium', 'High', 'Critical'].map((r) => Type.Literal(r)));
const Rated = Type.Object({ score: Type.Number(), rating: Rating });

const CvssResult = Type.Object({
  version: Type.Union(['2.0', '3.0', '3.1', '4.0'].map((v) => Type.Literal(v))),
  vector: Type.String({ description: 'The canonical vector: metrics in specification order, Not Defined left out.' }),
  base: Rated,
  temporal: Type.Optional(Type.Composite([Rated], { description: '2.0 and 3.x, when temporal metrics are given.' })),
  threat: Type.Optional(Type.Composite([Rated], { description: '4.0 CVSS-BT, when threat metrics are given.' })),
  environmental: Type.Optional(
    Type.Composite([Rated], { description: 'When environmental metrics are given (4.0: CVSS-BE or CVSS-BTE).' }),
  ),
  overall: Type.Object(
    {
      score: Type.Number(),
      rating: Rating,
      nomenclature: Type.Optional(Type.String({ description: '4.0 only: CVSS-B, CVSS-BT, CVSS-BE or CVSS-BTE.' })),
    },
    { description: 'The most specific score of the vector: the one to show.' },
  ),
  metrics: Type.Array(
    Type.Object({
      key: Type.String(),
      name: Type.String(),
      group: Type.Union(['base', 'temporal', 'threat', 'environmental', 'supplemental'].map((g) => Type.Literal(g))),
      value: Type.String(),
      label: Type.String(),
      explanation: Type.String({ description: 'What this value says about the vulnerability, in plain words.' }),
    }),
    { description: 'Each metric the vector defines, in canonical order.' },
  ),
});

function present(vector: string): Static<typeof CvssResult> {
  const score = scoreCvss(vector);
  return { ...score, metrics: explainVector(score) };
}

/**
 * Scores a CVSS vector for the calculator's script (and any client): the server computes every score,
 * so a browser never shows a number of its own making. No authorization on purpose: the answer is a
 * pure function of the query, it reads no data and changes none, so no actor can learn or do more
 * with it than with the public specifications (a vector sent here is not stored or logged).
 */
export function cvssApi(_deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    // TypeBox checks as written: no type coercion and no silent removal of unknown properties.
    app.setValidatorCompiler(TypeBoxValidatorCompiler);

    app.get(
      '/api/v1/cvss',
      {
        schema: {
          summary: 'Score a CVSS vector and explain its metrics',
          description:
            'Accepts CVSS 2.0, 3.0, 3.1 and 4.0 vectors. An invalid vector is refused with VALIDATION_FAILED; ' +
            'details.metric names the metric at fault when there is one.',
          tags: ['severity'],
          querystring: Type.Object({
            vector: Type.String({
              minLength: 1,
              maxLength: 1000,
              examples: ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
            }),
          }),
          response: { 200: CvssResult, ...errors(400) },
        },
      },
      async (request) => present(request.query.vector),
    );
  };
}
