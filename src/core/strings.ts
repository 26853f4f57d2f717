/**
 * A copy of `s` that does not keep its source alive. Fields of an event are slices of the
 * megabyte chunk the line was read in; V8 keeps the whole chunk alive while any slice lives.
 * Anything kept beyond the current line (map keys, evidence, state) goes through this, so
 * memory stays flat whatever the input size.
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}
