/** A stored ISO timestamp as the team reads it: to the minute, in UTC, unambiguous. */
export function when(isoText: string | null): string {
  return isoText ? `${isoText.slice(0, 16).replace('T', ' ')} UTC` : '';
}
