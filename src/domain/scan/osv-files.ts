import { unzipSync } from 'fflate';
import { parse as parseYaml } from 'yaml';

/*
 * OSV records out of the files they travel in: one record per .json file (or an array of them, as
 * some exports write), OSV YAML (the PyPA database), and zips of either (osv.dev's per-ecosystem
 * `all.zip`). YAML is read with the YAML 1.2 core schema, which leaves dates as text: a record's
 * `modified` must stay the string it was.
 */

export type OsvFileItem = { ok: true; source: string; value: unknown } | { ok: false; source: string; reason: string };

const RECORD_FILE = /\.(json|ya?ml)$/i;

/** Whether a file name is one this reader takes (a record file or a zip of them). */
export function isOsvFileName(name: string): boolean {
  return RECORD_FILE.test(name) || /\.zip$/i.test(name);
}

function* recordsOfText(source: string, text: string, yaml: boolean): Generator<OsvFileItem> {
  let value: unknown;
  try {
    value = yaml ? parseYaml(text, { schema: 'core' }) : JSON.parse(text);
  } catch (err) {
    yield {
      ok: false,
      source,
      reason: `not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`,
    };
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
