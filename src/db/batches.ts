// Long lists go to the database in parts, so no statement passes either engine's bound-parameter
// limit (SQLite 32,766; PostgreSQL 65,535).

/** Ids or keys per `IN (...)` list. */
export const IDS_PER_STATEMENT = 900;

/** `items` in consecutive parts of at most `size`. */
export function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
