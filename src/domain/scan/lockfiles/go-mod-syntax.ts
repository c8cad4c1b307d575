import { LockfileError } from '../inventory.js';

/*
 * The line syntax of go.mod: a directive is `verb args...` on one line, or `verb (` followed by one
 * argument line per entry and a closing `)`. `//` starts a comment; arguments may be quoted ("..."
 * or `...`). Only the syntax is checked here; what each verb's arguments mean is go-mod.ts's part.
 */

export interface Directive {
  verb: string;
  args: string[];
  /** The text of a trailing comment (`indirect` for `// indirect`), "" when there is none. */
  comment: string;
  /** 1-based. */
  line: number;
}

const FORMAT = 'go.mod';
const VERBS = new Set([
  'module',
  'go',
  'toolchain',
  'godebug',
  'require',
  'exclude',
  'replace',
  'retract',
  'tool',
  'ignore',
]);

/** Every directive of a go.mod, block entries as directives of the block's verb; throws `LockfileError`. */
export function goModDirectives(text: string): Directive[] {
  const directives: Directive[] = [];
  let block: string | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const { tokens, comment } = tokenize(raw, line);
    if (tokens.length === 0) return;
    if (block !== undefined) {
      if (tokens.length === 1 && tokens[0] === ')') block = undefined;
      else directives.push({ verb: block, args: tokens, comment, line });
      return;
    }
    const [verb = '', ...args] = tokens;
    if (!VERBS.has(verb)) throw new LockfileError(FORMAT, `line ${line}: unknown directive "${verb}"`);
    if (args.length === 1 && args[0] === '(') block = verb;
    else if (!(args.length === 2 && args[0] === '(' && args[1] === ')')) {
      directives.push({ verb, args, comment, line });
    }
  });
  if (block !== undefined) throw new LockfileError(FORMAT, `the "${block} (" block is never closed`);
  return directives;
}

function tokenize(raw: string, line: number): { tokens: string[]; comment: string } {
  const tokens: string[] = [];
  let i = 0;
  while (i < raw.length) {
    const c = raw[i] ?? '';
    if (/\s/.test(c)) i += 1;
    else if (raw.startsWith('//', i)) return { tokens, comment: raw.slice(i + 2).trim() };
    else if (c === '(' || c === ')') {
      tokens.push(c);
      i += 1;
    } else if (raw.startsWith('=>', i)) {
      tokens.push('=>');
      i += 2;
    } else if (c === '"' || c === '`') {
      const end = c === '"' ? closingQuote(raw, i) : raw.indexOf('`', i + 1);
      if (end < 0) throw new LockfileError(FORMAT, `line ${line}: unterminated string`);
      tokens.push(c === '"' ? unquote(raw.slice(i, end + 1), line) : raw.slice(i + 1, end));
      i = end + 1;
    } else {
      let end = i;
      while (end < raw.length && !/[\s()"`]/.test(raw[end] ?? '') && !/^(?:=>|\/\/)/.test(raw.slice(end, end + 2))) {
        end += 1;
      }
      tokens.push(raw.slice(i, end));
      i = end;
    }
  }
  return { tokens, comment: '' };
}

function closingQuote(raw: string, open: number): number {
  for (let i = open + 1; i < raw.length; i += raw[i] === '\\' ? 2 : 1) if (raw[i] === '"') return i;
  return -1;
}

function unquote(literal: string, line: number): string {
  try {
    const value: unknown = JSON.parse(literal);
    if (typeof value === 'string') return value;
  } catch {
    // Go's escapes are a superset of JSON's; module paths and versions never need the others.
  }
  throw new LockfileError(FORMAT, `line ${line}: unreadable string ${literal}`);
}
