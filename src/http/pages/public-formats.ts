import crypto from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import type { AdvisoryRecord } from '../../domain/advisories/advisory-record.js';
import { baseUrl, CSAF_DIRECTORY } from '../../domain/advisories/advisory-record.service.js';
import { allPublicRecords } from '../../domain/advisories/advisory-search.js';
import { findCsafDocument, publicRecordAt, publicRecordsWithProject } from '../../domain/advisories/public-records.js';
import { detachedSignature, type SignatureCache } from '../../domain/advisories/public-signatures.js';
import { getSecuritySettings } from '../../domain/advisories/security-settings.service.js';
import { providerMetadataUrl, wellKnownProject } from '../../domain/advisories/security-txt.service.js';
import { getProjectKey } from '../../domain/pgp/pgp-keys.service.js';
import { DomainError } from '../../errors.js';
import { toProviderMetadata, toRolieFeed } from '../../formats/csaf-provider.js';
import { toCsafAdvisory } from '../../formats/csaf.js';
import { toCsafVex } from '../../formats/csaf-vex.js';
import { toCve5Document } from '../../formats/cve5.js';
import { toCycloneDxVex } from '../../formats/cyclonedx-vex.js';
import { osvExportZip, toOsvJson } from '../../formats/osv.js';
import { authorize, can } from '../../policies/policy.js';
import { contentDisposition } from './download.js';
import { AdvisoryParams, RevisionQuery, revisionOf } from './public-advisories.js';
import { publicProject, SlugParams } from './public-project.js';

// Every format of a published advisory at a stable URL, and the CSAF provider (CSAF 2.0 section 7):
// provider-metadata.json, the ROLIE feed, and the TLP:WHITE directory whose documents have their
// .sha256/.sha512 (requirement 18) and, when the project has a key, .asc (requirement 19). Each
// body is a pure exporter's output of the public record, so nothing else can reach a response.

type Params = Static<typeof AdvisoryParams>;

const ROLIE_FEED = `${CSAF_DIRECTORY}/feed-tlp-white.json`;

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** A public document: cacheable for a few minutes (a revision replaces it), never sniffed. */
function sendDocument(reply: FastifyReply, type: string, body: string | Uint8Array): FastifyReply {
  return reply
    .header('cache-control', 'public, max-age=300')
    .header('x-content-type-options', 'nosniff')
    .header('access-control-allow-origin', '*')
    .type(type)
    .send(typeof body === 'string' ? body : Buffer.from(body));
}

const CsafParams = Type.Object({
  year: Type.String({ pattern: '^[0-9]{4}$' }),
  file: Type.String({ minLength: 6, maxLength: 200 }),
});

/** `<name>.json` and its companions (requirements 18 and 19), by suffix. */
function splitCsafFile(file: string): { name: string; suffix: '' | '.sha256' | '.sha512' | '.asc' } {
  for (const suffix of ['.sha256', '.sha512', '.asc'] as const) {
    if (file.endsWith(suffix)) return { name: file.slice(0, -suffix.length), suffix };
  }
  return { name: file, suffix: '' };
}

const hashLine = (algorithm: 'sha256' | 'sha512', body: string, filename: string) =>
  `${crypto.createHash(algorithm).update(body, 'utf8').digest('hex')}  ${filename}\n`;

export function publicFormatRoutes(deps: Deps) {
  const signatures: SignatureCache = new Map();

  return async (root: FastifyInstance): Promise<void> => {
    const app = root.withTypeProvider<TypeBoxTypeProvider>();
    const opts = { schema: { params: AdvisoryParams, querystring: RevisionQuery } };

    async function recordOf(request: FastifyRequest & { params: Params; query: { revision?: string } }) {
      const project = await publicProject(deps.db, request, request.params.slug);
      return publicRecordAt(deps.db, {
        projectId: project.id,
        publicId: request.params.publicId,
        revision: revisionOf(request.query),
      });
    }

    app.get('/p/:slug/advisories/:publicId/osv.json', opts, async (request, reply) =>
      sendDocument(reply, 'application/json', toOsvJson(await recordOf(request))),
    );

    app.get('/p/:slug/advisories/:publicId/cve.json', opts, async (request, reply) => {
      const record = await recordOf(request);
      if (!record.cveId) throw new DomainError('NOT_FOUND', 'The advisory has no CVE id.');
      return sendDocument(reply, 'application/json', json(toCve5Document(record)));
    });

    app.get('/p/:slug/advisories/:publicId/cyclonedx-vex.json', opts, async (request, reply) =>
      sendDocument(reply, 'application/vnd.cyclonedx+json', json(toCycloneDxVex(await recordOf(request)))),
    );

    app.get('/p/:slug/osv/all.zip', { schema: { params: SlugParams } }, async (request, reply) => {
      const project = await publicProject(deps.db, request, request.params.slug);
      const zip = osvExportZip(await allPublicRecords(deps.db, project.id));
      reply.header('content-disposition', contentDisposition(`${project.slug}-osv.zip`));
      return sendDocument(reply, 'application/zip', zip);
    });

    app.get(
      `${CSAF_DIRECTORY}/:year/:file`,
      { schema: { params: CsafParams, querystring: RevisionQuery } },
      async (request, reply) => {
        const { name, suffix } = splitCsafFile(request.params.file);
        const found = await findCsafDocument(deps.db, { year: request.params.year, file: name });
        authorize(request.actor, 'project.public.read', { projectId: found.projectId });
        const revision = revisionOf(request.query);
        const record =
          revision === undefined
            ? found.record
            : await publicRecordAt(deps.db, { projectId: found.projectId, publicId: found.record.id, revision });
        const body = json(found.profile === 'vex' ? toCsafVex(record) : toCsafAdvisory(record));
        if (suffix === '') return sendDocument(reply, 'application/json', body);
        if (suffix === '.asc') {
          const signature = await detachedSignature(deps.db, deps, {
            projectId: found.projectId,
            text: body,
            cache: signatures,
          });
          if (!signature) throw new DomainError('NOT_FOUND', 'The project has no OpenPGP key.');
          return sendDocument(reply, 'application/pgp-signature', signature);
        }
        const algorithm = suffix === '.sha256' ? 'sha256' : 'sha512';
        return sendDocument(reply, 'text/plain; charset=utf-8', hashLine(algorithm, body, name));
      },
    );

    /** Every readable project's current records, with whether the project signs its documents. */
    async function providerRecords(actor: FastifyRequest['actor']) {
      const all = (await publicRecordsWithProject(deps.db)).filter((r) =>
        can(actor, 'project.public.read', { projectId: r.projectId }),
      );
      const keyed = new Map<string, boolean>();
      for (const { projectId } of all) {
        if (!keyed.has(projectId)) keyed.set(projectId, (await getProjectKey(deps.db, projectId)) !== null);
      }
      return all.map((r) => ({ ...r, signed: keyed.get(r.projectId) === true }));
    }
    const newest = (records: { record: AdvisoryRecord }[]) =>
      records.reduce<string | null>(
        (max, { record }) => (max === null || record.modified > max ? record.modified : max),
        null,
      ) ?? deps.clock.now().toISOString();

    app.get('/.well-known/csaf/provider-metadata.json', async (request, reply) => {
      const base = baseUrl(deps);
      const [records, project] = await Promise.all([providerRecords(request.actor), wellKnownProject(deps.db, deps)]);
      let publisher = { name: deps.config.publicUrl.hostname, namespace: base };
      let publicKeys: { fingerprint: string; url: string }[] = [];
      if (project) {
        authorize(request.actor, 'project.public.read', { projectId: project.id });
        const [settings, key] = await Promise.all([
          getSecuritySettings(deps.db, project.id),
          getProjectKey(deps.db, project.id),
        ]);
        publisher = { name: settings.publisherName ?? project.name, namespace: base };
        if (key) publicKeys = [{ fingerprint: key.fingerprint, url: `${base}/p/${project.slug}/pgp-key.asc` }];
      }
      const metadata = toProviderMetadata({
        publisher,
        canonicalUrl: providerMetadataUrl(deps),
        rolieFeeds: [{ url: `${base}${ROLIE_FEED}`, tlpLabel: 'WHITE', summary: 'TLP:WHITE advisories' }],
        lastUpdated: newest(records),
        publicKeys,
      });
      return sendDocument(reply, 'application/json', json(metadata));
    });

    app.get(ROLIE_FEED, async (request, reply) => {
      const base = baseUrl(deps);
      const records = await providerRecords(request.actor);
      const entries = records.flatMap(({ record, signed }) =>
        (['csaf_security_advisory', 'csaf_vex'] as const).map((profile) => {
          const url = profile === 'csaf_vex' ? record.links.csafVex : record.links.csaf;
          return {
            record,
            profile,
            url,
            hashUrl: `${url}.sha256`,
            ...(signed ? { signatureUrl: `${url}.asc` } : {}),
          };
        }),
      );
      const feed = toRolieFeed({
        feedUrl: `${base}${ROLIE_FEED}`,
        title: `${deps.config.publicUrl.hostname}: TLP:WHITE CSAF documents`,
        updated: newest(records),
        entries,
      });
      return sendDocument(reply, 'application/json', json(feed));
    });
  };
}
