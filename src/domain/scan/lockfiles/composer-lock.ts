/*
 * composer.lock: `packages` are what production installs, `packages-dev` what `require-dev` adds.
 * Each entry pins `version`; `dist.reference` (else `source.reference`) is the commit for Git-hosted
 * packages, but for some registries (Drupal's) it is the tag, which is no commit.
 */
import { LockfileError, type LockfileParser, type ScannedPackage } from '../inventory.js';
import { isRecord, readJsonObject } from './read-document.js';

const FORMAT = 'composer.lock';
const SECTIONS = ['packages', 'packages-dev'] as const;
type Section = (typeof SECTIONS)[number];

function reference(entry: Record<string, unknown>, key: 'dist' | 'source'): string | undefined {
  const holder = entry[key];
  const ref = isRecord(holder) ? holder['reference'] : undefined;
  return typeof ref === 'string' && ref !== '' ? ref : undefined;
}

/** A dot means a tag ("2.0.0-alpha4"), as osv-scalibr reads it; commits are hex. */
function commitOf(entry: Record<string, unknown>): string | undefined {
  const ref = reference(entry, 'dist') ?? reference(entry, 'source');
  return ref === undefined || ref.includes('.') ? undefined : ref;
}

/**
 * The 1-based line of the `"name"` key of each object directly inside the top-level `packages` and
 * `packages-dev` arrays, by section and index. The text is already known to be valid JSON, so a
 * scan that tracks strings and nesting is enough; JSON.parse keeps no positions.
 */
function nameLines(text: string): Record<Section, (number | undefined)[]> {
  const found: Record<Section, (number | undefined)[]> = { packages: [], 'packages-dev': [] };
  // One frame per open container: its kind, the key being read (objects), the index (arrays).
  const stack: { kind: '{' | '['; key?: string; index: number }[] = [];
  let line = 1;
  let lastString = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line++;
    else if (ch === '"') {
      const start = i + 1;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      // Raw, escapes kept: only plain keys ("packages", "name") are compared.
      lastString = text.slice(start, i);
    } else if (ch === ':') {
      const [root, list, item] = stack;
      const top = stack.at(-1);
      if (top !== undefined) top.key = lastString;
      const section = root?.key;
      const inSection = section === 'packages' || section === 'packages-dev';
      if (inSection && stack.length === 3 && list?.kind === '[' && item?.kind === '{' && lastString === 'name')
        found[section][list.index] = line;
    } else if (ch === '{' || ch === '[') stack.push({ kind: ch, index: 0 });
    else if (ch === '}' || ch === ']') stack.pop();
    else if (ch === ',') {
      const top = stack.at(-1);
      if (top?.kind === '[') top.index++;
    }
  }
  return found;
}

function parse(text: string): ScannedPackage[] {
  const document = readJsonObject(FORMAT, text);
  const lines = nameLines(text);
  return SECTIONS.flatMap((section) => {
    const entries = document[section] ?? [];
    if (!Array.isArray(entries)) throw new LockfileError(FORMAT, `\`${section}\` is not an array`);
    return entries.flatMap((entry: unknown, index): ScannedPackage[] => {
      if (!isRecord(entry) || typeof entry['name'] !== 'string') return [];
      const version = typeof entry['version'] === 'string' ? entry['version'] : '';
      const pkg: ScannedPackage = {
        ecosystem: 'Packagist',
        name: entry['name'],
        version,
        depGroups: section === 'packages-dev' ? ['dev'] : [],
      };
      const commit = commitOf(entry);
      if (commit !== undefined) pkg.commit = commit;
      const line = lines[section][index];
      if (line !== undefined) pkg.line = line;
      return [pkg];
    });
  });
}

export const composerLockParser: LockfileParser = {
  format: FORMAT,
  matches: (path) => path.split(/[\\/]/).pop() === 'composer.lock',
  parse: (text) => parse(text),
};
