import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import {
  CVE_SOURCES,
  getSecuritySettings,
  parseSecuritySettings,
  type SecuritySettings,
  updateSecuritySettings,
} from '../../domain/advisories/security-settings.service.js';
import { requireProject } from '../../domain/projects/projects.service.js';
import { authorize } from '../../policies/policy.js';
import { requireJson } from './api-input.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';

// A project's security settings over JSON (who publishes its advisories, where its CVE ids come
// from, its bounty, how long its security.txt stays valid): the same service as the settings page.

const Nullable = (max: number, description: string) =>
  Type.Union([Type.String({ maxLength: max }), Type.Null()], { description });

const Settings = Type.Object(
  {
    publisherName: Nullable(200, 'The publisher named in CSAF and CVE records; null: the project’s name.'),
    cveSource: Type.Union(
      CVE_SOURCES.map((s) => Type.Literal(s)),
      { description: 'cna: ids come from the project’s pool; request: they are requested (cveRequestFrom).' },
    ),
    cveRequestFrom: Nullable(200, 'Whom CVE ids are usually requested from, e.g. GitHub.'),
    bountyText: Nullable(5000, 'What the bug bounty pays for, if there is one (SECURITY.md).'),
    bountyUrl: Nullable(2000, 'The bounty programme’s https:// page.'),
    securityTxtDays: Type.Integer({
      minimum: 1,
      maximum: 364,
      description: 'security.txt expires this many days after it is served (RFC 9116: under a year).',
    }),
  },
  { additionalProperties: false },
);
const Answer = Type.Object({
  settings: Settings,
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

const Params = Type.Object({ slug: Type.String({ minLength: 1, maxLength: 64 }) });
const tags = ['projects'];

const json = ({ updatedAt, ...settings }: SecuritySettings) => ({ settings, updatedAt });

export function securitySettingsApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);
    const path = '/api/v1/projects/:slug/security-settings';

    app.get(
      path,
      {
        schema: {
          summary: 'The project’s security settings',
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: Answer, ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'project.view', { projectId: project.id });
        return json(await getSecuritySettings(deps.db, project.id));
      },
    );

    app.put(
      path,
      {
        schema: {
          summary: 'Replace the project’s security settings',
          description: 'Project admins; audited. Refusals name the field.',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Settings,
          response: { 200: Answer, ...errors(400, 401, 403, 404, 415) },
        },
      },
      async (request) => {
        const project = await requireProject(deps.db, request.params.slug);
        authorize(request.actor, 'project.security-settings.manage', { projectId: project.id });
        const settings = parseSecuritySettings(request.body);
        const saved = await deps.db.transaction().execute((trx) =>
          updateSecuritySettings(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            projectId: project.id,
            settings,
          }),
        );
        return json(saved);
      },
    );
  };
}
