// JSON.parse forgets where things were; a package-lock finding should still point at its line.
// This scans text already accepted by JSON.parse once more, tracking only the path of object keys,
// and records the line of the keys a caller asks for. Arrays count as path steps "0", "1"...

/** The map key for a path of object keys. */
export function jsonPathKey(path: readonly string[]): string {
  return path.join('\u0000');
}

interface Frame {
  object: boolean;
  expectKey: boolean;
  index: number;
}

/** The 1-based line of each key whose path (outermost first) `wanted` accepts; `text` must be valid JSON. */
export function jsonKeyLinesWhere(text: string, wanted: (path: readonly string[]) => boolean): Map<string, number> {
  const lines = new Map<string, number>();
  const frames: Frame[] = [];
  // path[d] is the key (or array index) being read inside frames[d].
  const path: string[] = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
    } else if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      const top = frames.at(-1);
      if (top?.object && top.expectKey) {
        const raw = text.slice(i + 1, end);
        path.length = frames.length - 1;
        path.push(raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw);
        top.expectKey = false;
        if (wanted(path)) lines.set(jsonPathKey(path), line);
      }
      i = end;
    } else if (c === '{' || c === '[') {
      path.length = frames.length;
      frames.push({ object: c === '{', expectKey: c === '{', index: 0 });
      if (c === '[') path.push('0');
    } else if (c === '}' || c === ']') {
      frames.pop();
      path.length = frames.length;
    } else if (c === ',') {
      const top = frames.at(-1);
      if (top?.object) {
        top.expectKey = true;
      } else if (top) {
        top.index++;
        path[frames.length - 1] = String(top.index);
      }
    }
  }
  return lines;
}
