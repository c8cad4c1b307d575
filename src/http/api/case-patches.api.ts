import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { MAX_PATCH_BYTES } from '../../domain/cases/patch-parse.js';
import {
  PATCH_STATUSES,
  type PatchSummary,
  REVIEW_VERDICTS,
  reviewPatch,
  uploadPatch,
  viewCasePatches,
  viewPatch,
} from '../../domain/cases/patches.service.js';
import { requirePatchCase } from '../pages/case-patches.js';
import { requireJson } from './api-input.js';
import { apiTokenRequired } from './openapi.js';
import { errors } from './schemas.js';
import { limitShownLines } from '../../domain/cases/patch-parse.js';

// A case's private patches over JSON: the same services as the patch pages. Reading a patch (or the
// list, whose reviews quote it) is an audited read of embargoed content.

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const Params = Type.Object({
  slug: Type.String({ minLength: 1, maxLength: 64 }),
  number: Type.String({ pattern: '^[1-9][0-9]{0,8}$' }),
});
const PatchParams = Type.Object({ ...Params.properties, id: Type.String({ minLength: 1, maxLength: 64 }) });

const Review = Type.Object({
  id: Type.String(),
  reviewerId: nullable(Type.String()),
  reviewerName: nullable(Type.String()),
  verdict: literals(REVIEW_VERDICTS),
  comment: nullable(Type.String()),
  at: Type.String({ format: 'date-time' }),
});
const Patch = Type.Object({
  id: Type.String(),
  branchId: Type.String(),
  branchName: Type.String(),
  filename: Type.String(),
  kind: literals(['format-patch', 'diff'] as const),
  sha256: Type.String(),
  status: literals(PATCH_STATUSES),
  uploadedBy: nullable(Type.String()),
  uploaderName: nullable(Type.String()),
  uploadedAt: Type.String({ format: 'date-time' }),
  reviews: Type.Array(Review),
});
const Line = Type.Object({
  type: literals(['add', 'del', 'context'] as const),
  text: Type.String(),
  oldNumber: nullable(Type.Integer()),
  newNumber: nullable(Type.Integer()),
  noNewline: Type.Boolean(),
});
const File = Type.Object({
  oldPath: nullable(Type.String()),
  newPath: nullable(Type.String()),
  change: literals(['added', 'deleted', 'modified', 'renamed', 'copied'] as const),
  binary: Type.Boolean({ description: 'A binary change: listed, its content not parsed.' }),
  similarity: nullable(Type.Integer()),
  oldMode: nullable(Type.String()),
  newMode: nullable(Type.String()),
  additions: Type.Integer(),
  deletions: Type.Integer(),
  hunks: Type.Array(
    Type.Object({
      oldStart: Type.Integer(),
      oldLines: Type.Integer(),
      newStart: Type.Integer(),
      newLines: Type.Integer(),
      section: Type.String(),
      lines: Type.Array(Line),
    }),
  ),
});
const Part = Type.Object({
  commit: nullable(Type.String()),
  author: nullable(Type.String()),
  date: nullable(Type.String()),
  subject: nullable(Type.String({ description: 'Without its [PATCH n/m] prefix.' })),
  number: nullable(Type.Integer()),
  total: nullable(Type.Integer()),
  message: Type.String(),
  files: Type.Array(File),
});
const PatchDetail = Type.Object({
  ...Patch.properties,
  content: Type.String({ description: 'The patch exactly as uploaded (for git am or git apply).' }),
  parsed: Type.Object({
    kind: literals(['format-patch', 'diff'] as const),
    parts: Type.Array(Part, { description: 'Each commit of a format-patch series; one part for a plain diff.' }),
  }),
  truncated: Type.Boolean({
    description: 'True when `parsed` holds only the first 5000 diff lines; `content` always has the whole patch.',
  }),
});
const BranchPatches = Type.Object({
  branchId: Type.String(),
  branchName: Type.String(),
  latest: Patch,
  superseded: Type.Array(Patch, { description: 'Earlier uploads for the branch, newest first.' }),
});

const tags = ['cases'];

export function casePatchesApi(deps: Deps) {
  return async (plain: FastifyInstance): Promise<void> => {
    const app = plain.withTypeProvider<TypeBoxTypeProvider>();
    app.setValidatorCompiler(TypeBoxValidatorCompiler);
    app.addHook('onRequest', requireJson);
    const tx = deps.db.transaction();
    const base = '/api/v1/projects/:slug/cases/:number/patches';

    app.get(
      base,
      {
        schema: {
          summary: "A case's private patches by release branch: the current one with its reviews, earlier uploads",
          tags,
          security: apiTokenRequired,
          params: Params,
          response: { 200: Type.Object({ branches: Type.Array(BranchPatches) }), ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const { theCase } = await requirePatchCase(deps.db, request, 'case.read');
        const branches = await tx.execute((trx) =>
          viewCasePatches(trx, deps, { actor: request.actor, origin: request.origin, theCase }),
        );
        return { branches };
      },
    );

    app.post(
      base,
      {
        // The content at its limit, with room for JSON escaping (quotes, tabs and line breaks double).
        bodyLimit: 3 * MAX_PATCH_BYTES,
        schema: {
          summary: 'Upload a private patch for a release branch (it supersedes the branch’s current one)',
          description:
            'The content is `git format-patch` output (one or several patches) or a unified diff, UTF-8, at most ' +
            '2 MB. Text holding no diff is refused with 400 VALIDATION_FAILED (field "patch").',
          tags,
          security: apiTokenRequired,
          params: Params,
          body: Type.Object(
            {
              branchId: Type.String({ minLength: 1, maxLength: 64 }),
              filename: Type.String({ maxLength: 1000, description: 'Blank: named after the branch.' }),
              content: Type.String({ minLength: 1 }),
            },
            { additionalProperties: false },
          ),
          response: { 201: Patch, ...errors(400, 401, 403, 404, 413, 415) },
        },
      },
      async (request, reply) => {
        const { theCase } = await requirePatchCase(deps.db, request, 'case.patch.upload');
        const patch: PatchSummary = await tx.execute((trx) =>
          uploadPatch(trx, deps, { actor: request.actor, origin: request.origin, theCase, ...request.body }),
        );
        deps.wakeWorker();
        return reply.code(201).send(patch);
      },
    );

    app.get(
      `${base}/:id`,
      {
        schema: {
          summary: 'A patch with its content, parsed files, hunks and lines, and its reviews',
          tags,
          security: apiTokenRequired,
          params: PatchParams,
          response: { 200: PatchDetail, ...errors(401, 403, 404) },
        },
      },
      async (request) => {
        const { theCase } = await requirePatchCase(deps.db, request, 'case.read');
        const patch = await tx.execute((trx) =>
          viewPatch(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            theCase,
            patchId: request.params.id,
          }),
        );
        const shown = limitShownLines(patch.parsed);
        return { ...patch, parsed: shown.parsed, truncated: shown.truncated };
      },
    );

    app.post(
      `${base}/:id/reviews`,
      {
        schema: {
          summary: 'Review a patch: approve, request changes or comment',
          description:
            'Nobody approves their own upload (400 VALIDATION_FAILED, field "verdict"); requesting changes needs a ' +
            'comment. A superseded patch takes comments only (409 INVALID_TRANSITION). When this approval leaves ' +
            'every affected supported branch with an approved patch, a case in fix_in_progress moves to fix_ready.',
          tags,
          security: apiTokenRequired,
          params: PatchParams,
          body: Type.Object(
            {
              verdict: literals(REVIEW_VERDICTS),
              comment: Type.Optional(Type.String({ maxLength: 10_000 })),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object({
              patch: Patch,
              fixReady: Type.Boolean({ description: 'Whether this review moved the case to fix_ready.' }),
            }),
            ...errors(400, 401, 403, 404, 409, 415),
          },
        },
      },
      async (request) => {
        const { theCase } = await requirePatchCase(deps.db, request, 'case.patch.review');
        const result = await tx.execute((trx) =>
          reviewPatch(trx, deps, {
            actor: request.actor,
            origin: request.origin,
            theCase,
            patchId: request.params.id,
            verdict: request.body.verdict,
            comment: request.body.comment ?? null,
          }),
        );
        deps.wakeWorker();
        return result;
      },
    );
  };
}
