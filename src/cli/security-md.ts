import { securityMdFor } from '../domain/advisories/security-md.service.js';
import { requireProject } from '../domain/projects/projects.service.js';
import { toSecurityMd } from '../formats/security-md.js';
import { openRuntime } from './runtime.js';

/**
 * `embargo security-md --project S`: prints the project's SECURITY.md, the same file
 * /p/<slug>/SECURITY.md serves, for committing to the project's repository.
 */
export async function securityMd(options: { slug: string }): Promise<void> {
  const runtime = await openRuntime();
  try {
    const project = await requireProject(runtime.deps.db, options.slug);
    process.stdout.write(toSecurityMd(await securityMdFor(runtime.deps.db, runtime.deps, project)));
  } finally {
    await runtime.close();
  }
}
