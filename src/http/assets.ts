import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { DomainError } from '../errors.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');
const types: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/** Serves the few static files (stylesheet, enhancement script); read once at start. */
export async function assetRoutes(app: FastifyInstance): Promise<void> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of fs.readdirSync(dir)) {
    const type = types[path.extname(name)];
    if (type) files.set(name, { body: fs.readFileSync(path.join(dir, name)), type });
  }
  app.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => {
    const file = files.get(request.params.file);
    if (!file) throw new DomainError('NOT_FOUND');
    return reply.header('cache-control', 'public, max-age=3600').type(file.type).send(file.body);
  });
}
