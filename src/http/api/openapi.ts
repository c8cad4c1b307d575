import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { ErrorResponse } from './schemas.js';

/** The name of the personal API token scheme in the OpenAPI document. */
export const API_TOKEN_SCHEME = 'apiToken';
/**
 * For a route's `schema.security` once it needs a team member: `security: apiTokenRequired`.
 * Routes without it are public (a token, when sent, must still be valid).
 */
export const apiTokenRequired: { [scheme: string]: string[] }[] = [{ [API_TOKEN_SCHEME]: [] }];

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
          'its token is the reporter’s only key to the report. Team members authenticate with a personal API ' +
          'token (created under /account/tokens) sent as `Authorization: Bearer emb_...`; the API never reads ' +
          'cookies. An unknown, expired or revoked token is refused with 401 API_TOKEN_INVALID.',
      },
      components: {
        securitySchemes: {
          [API_TOKEN_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'emb_<43 characters>',
            description:
              'A personal API token from /account/tokens. It acts as its owner, with their project roles. ' +
              'It is shown once, at creation; revoke it there when it is no longer needed.',
          },
        },
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
