import { unzipSync } from 'fflate';
import yaml from 'js-yaml';

/*
 * OSV records out of the files they travel in: one record per .json file (or an array of them, as
 * some exports write), OSV YAML (the PyPA database), and zips of either (osv.dev's per-ecosystem
 * `all.zip`). YAML is read with the YAML 1.2 core schema, which leaves dates as text: a record's
 * `modified` must stay the string it was. js-yaml reads OSV's YAML ten times faster than the yaml
 * package (which the pnpm and yarn parsers keep, for its line positions), and gives the same values
 * for every record of the PyPA database.
 */

export type OsvFileItem = { ok: true; source: string; value: unknown } | { ok: false; source: string; reason: string };

const RECORD_FILE = /\.(json|ya?ml)$/i;

// YAML aliases let a few lines name the same node a billion times over; stored as JSON, such a
// record would be written out in full. A real OSV record has a few hundred values.
const MAX_NODES = 100_000;

/** Whether walking `value` (aliases followed each time they are met) visits more than `limit` values. */
function expandsBeyond(value: unknown, limit: number): boolean {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    count += 1;
    if (count > limit) return true;
    if (typeof v === 'object' && v !== null) stack.push(...(Array.isArray(v) ? v : Object.values(v)));
  }
  return false;
}

/** Whether a file name is one this reader takes (a record file or a zip of them). */
export function isOsvFileName(name: string): boolean {
  return RECORD_FILE.test(name) || /\.zip$/i.test(name);
}

function* recordsOfText(source: string, text: string, isYaml: boolean): Generator<OsvFileItem> {
  let value: unknown;
  try {
    value = isYaml ? yaml.load(text, { schema: yaml.CORE_SCHEMA }) : JSON.parse(text);
  } catch (err) {
    yield {
      ok: false,
      source,
      reason: `not valid ${isYaml ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`,
    };
    return;
  }
  if (isYaml && expandsBeyond(value, MAX_NODES)) {
    yield { ok: false, source, reason: `the document expands to more than ${MAX_NODES} values (YAML aliases)` };
    return;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield { ok: true, source: `${source}[${i}]`, value: v };
  } else {
    yield { ok: true, source, value };
  }
}

const decoder = new TextDecoder();

/** The records in one file's bytes; a zip's entries are read in the order they are stored. */
export function* recordsFromFile(name: string, bytes: Uint8Array): Generator<OsvFileItem> {
  if (/\.zip$/i.test(name)) {
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(bytes, { filter: (f) => RECORD_FILE.test(f.name) });
    } catch (err) {
      yield { ok: false, source: name, reason: `not a readable zip: ${(err as Error).message}` };
      return;
    }
    for (const [entry, data] of Object.entries(entries)) {
      yield* recordsOfText(`${name}!${entry}`, decoder.decode(data), /\.ya?ml$/i.test(entry));
    }
    return;
  }
  if (!RECORD_FILE.test(name)) return;
  yield* recordsOfText(name, decoder.decode(bytes), /\.ya?ml$/i.test(name));
}
