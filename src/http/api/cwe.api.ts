import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { searchCwe } from '../../domain/severity/cwe.js';
import { errors } from './schemas.js';

const CweJson = Type.Object({
  id: Type.Integer({ description: 'The CWE number: 79 for CWE-79.' }),
  name: Type.String(),
  mappable: Type.Boolean({ description: 'MITRE allows this CWE for mapping vulnerabilities to.' }),
  frequent: Type.Boolean({ description: 'On the shorter list of commonly used CWEs.' }),
});

export const CWE_SEARCH_MAX = 50;

/**
 * Search of MITRE's CWE list, for the case page's picker (assets/cwe.js) and API clients. It is
 * public on purpose: the list is published by MITRE, the answer depends on nothing but the query, and
 * nothing of any project or case is read, so there is no subject to authorize and nothing to audit.
 */
export function cweApi(_deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    // TypeBox checks as written; query strings are converted to the declared types (limit=5 -> 5) first.
    app.setValidatorCompiler(TypeBoxValidatorCompiler);

    app.get(
      '/api/v1/cwe',
      {
        schema: {
          summary: 'Search the CWE list',
          description:
            'Best matches first: the exact number, numbers starting with the digits, then names holding every ' +
            'word of the query (any case); frequent and mappable CWEs first among equals. An empty query lists ' +
            'the frequent CWEs.',
          tags: ['severity'],
          querystring: Type.Object(
            {
              q: Type.Optional(Type.String({ maxLength: 200, description: 'Words of the name, 79, or CWE-79.' })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: CWE_SEARCH_MAX, default: 20 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ results: Type.Array(CweJson) }), ...errors(400) },
        },
      },
      async (request) => {
        const { q = '', limit = 20 } = request.query;
        return { results: searchCwe(q, limit) };
      },
    );
  };
}
