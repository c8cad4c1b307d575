import { isMap, LineCounter, parseDocument, type YAMLMap } from 'yaml';
import { LockfileError } from '../inventory.js';

// How the JSON and YAML formats are read, so that every parser refuses bad text in the same words.

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The JSON value of `text`; a UTF-8 byte order mark (Visual Studio writes one) is skipped. */
export function readJson(format: string, text: string): unknown {
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new LockfileError(format, `not valid JSON (${message(error)})`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A JSON document whose top level must be an object. */
export function readJsonObject(format: string, text: string): Record<string, unknown> {
  const doc = readJson(format, text);
  if (!isRecord(doc)) throw new LockfileError(format, 'the top level is not a JSON object');
  return doc;
}

/**
 * A YAML document whose top level must be a mapping, with its line counter; null when the document
 * is empty. The failsafe schema keeps every scalar a string: `version: 1.10` must not become 1.1.
 */
export function readYamlMap(format: string, source: string): { map: YAMLMap; lines: LineCounter } | null {
  const lines = new LineCounter();
  const doc = parseDocument(source, { schema: 'failsafe', lineCounter: lines, uniqueKeys: false });
  const error = doc.errors[0];
  if (error) throw new LockfileError(format, `not valid YAML (${error.message})`);
  if (doc.contents === null) return null;
  if (!isMap(doc.contents)) throw new LockfileError(format, 'the top level is not a mapping');
  return { map: doc.contents, lines };
}
