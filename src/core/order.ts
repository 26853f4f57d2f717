/**
 * Strings in code-unit order, as SQLite's BINARY collation and PostgreSQL's "C" order keys
 * compare them (not `localeCompare`): rows sorted so are inserted along the stores' B-trees.
 */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
