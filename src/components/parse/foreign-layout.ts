/**
 * Recognises OpenUnison's lines written in a layout the scanner does not read: a custom
 * log4j2.xml (the Helm chart's debugConfigMap) that moved or dropped the bracketed stamp. The
 * event words survive any layout and any wrapper (docker, CRI, kubectl, JSON), so a log whose
 * lines carry them but no readable header is worth saying so about, rather than "is this an
 * OpenUnison log?".
 */

/** An access or IdP line's event word, as its message starts: `[AzSuccess] - `. */
const EVENT_WORD = /\[(?:AuSuccess|AuFail|AzSuccess|AzFail|NotFound|Error|ExpiredRefreshTokenUsed)\] - /;
/** The header the scanner reads: `[` stamp `][` (see ByteClock for the stamps it accepts). */
const READABLE_HEADER = /\[\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[,.]\d{3}(?:Z|[+-]\d\d(?::?\d\d)?)?\]\[/;
/** Characters of the line before the event word shown to the user. */
const PREFIX_SHOWN = 80;

export interface ForeignLayout {
  /** What the first such line has before its event word (at most PREFIX_SHOWN characters, its end kept). */
  prefix: string;
  /** The event word, with its brackets. */
  word: string;
}

/**
 * The first line of `text` that carries an event word but no header the scanner reads before
 * it, or null. Lines in the readable layout (malformed for another reason, or fine) say nothing.
 */
export function foreignLayoutIn(text: string): ForeignLayout | null {
  for (const line of text.split('\n')) {
    const m = EVENT_WORD.exec(line);
    if (m === null) continue;
    const before = line.slice(0, m.index);
    if (READABLE_HEADER.test(before)) continue;
    return { prefix: before.slice(-PREFIX_SHOWN), word: m[0].slice(0, -3) };
  }
  return null;
}
