import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { ErrorResponse } from './schemas.js';

/**
 * The OpenAPI 3.1 document of the JSON API, served at /api/openapi.json. Registered before any
 * route (it records routes as they are added); pages outside /api/ are left out of it.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  app.addSchema(ErrorResponse);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Embargo API',
        version: '1',
        description:
          'Private vulnerability report intake. Submitting answers with a private status URL, returned once: ' +
          'its token is the reporter’s only key to the report.',
      },
    },
    // Shared schemas appear under components.schemas by their $id (ErrorResponse), not as def-0.
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
    transform: ({ schema, url }) => ({
      schema: url.startsWith('/api/') ? schema : { ...schema, hide: true },
      url,
    }),
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
