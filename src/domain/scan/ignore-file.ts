import { parse } from 'smol-toml';

/*
 * The ignore file of `embargo scan`: each entry names a vulnerability (by id or any alias), says why
 * it is ignored and until when. An entry without a reason or an expiry is refused: an ignore that
 * nobody explains, or that never lapses, hides a vulnerability for good. An expired entry no longer
 * hides anything and is reported as expired. The layout is osv-scanner.toml's `[[IgnoredVulns]]`
 * (`id`, `reason`, `ignoreUntil`), so an existing file works; `[[ignore]]` with `until` reads the same.
 * An entry may name a `package` to ignore the vulnerability in that package only.
 */

export interface IgnoreEntry {
  id: string;
  reason: string;
  until: Date;
  package: string | null;
}

export class IgnoreFileError extends Error {
  override readonly name = 'IgnoreFileError';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function dateOf(v: unknown): Date | null {
  // smol-toml gives TOML dates as its TomlDate, a Date subclass; strings are taken too.
  const d = v instanceof Date ? new Date(v.getTime()) : typeof v === 'string' ? new Date(v) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

export function parseIgnoreFile(text: string): IgnoreEntry[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new IgnoreFileError(`the ignore file is not valid TOML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObject(doc)) return [];
  const raw = [doc.IgnoredVulns, doc.ignore].flatMap((v) => (Array.isArray(v) ? v : v === undefined ? [] : [v]));
  return raw.map((entry, i) => {
    const where = `entry ${i + 1}`;
    if (!isObject(entry)) throw new IgnoreFileError(`${where} is not a table`);
    const id = typeof entry.id === 'string' ? entry.id.trim() : '';
    if (id === '') throw new IgnoreFileError(`${where} has no "id"`);
    const reason = typeof entry.reason === 'string' ? entry.reason.trim() : '';
    if (reason === '') throw new IgnoreFileError(`${where} (${id}) has no "reason": say why it is ignored`);
    const until = dateOf(entry.until ?? entry.ignoreUntil);
    if (!until) throw new IgnoreFileError(`${where} (${id}) has no valid expiry ("until" or "ignoreUntil")`);
    const pkg = typeof entry.package === 'string' && entry.package.trim() !== '' ? entry.package.trim() : null;
    return { id, reason, until, package: pkg };
  });
}
