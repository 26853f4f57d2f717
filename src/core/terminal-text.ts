/**
 * The one sanitizer for log-derived text shown to a person (terminal tables, the Slack body,
 * email text). DNs, reasons and evidence lines are attacker-influenced: a raw ESC could clear
 * a screen or set a window title, a bidirectional override could make `gnp.exe` read as
 * `exe.png`, a line separator could forge a new line. Every such character is shown as a
 * visible escape instead. JSON output never goes through this: it stays exact.
 *
 * Escaped: C0 controls (tab and newline included), DEL, C1 controls, the Arabic letter mark,
 * LRM/RLM, zero-width space/joiners, the embeddings and overrides U+202A-U+202E, the line and
 * paragraph separators U+2028/U+2029, word joiner, invisible operators, the isolates
 * U+2066-U+2069 and the other format characters up to U+206F, the BOM / zero-width no-break
 * space U+FEFF and the interlinear annotation marks U+FFF9-U+FFFB.
 */
// eslint-disable-next-line no-control-regex
export const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

const escapeOne = (ch: string): string => {
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
};

/** `s` with every control, reordering and invisible character shown as `\xNN` or `\uNNNN`. */
export function printable(s: string): string {
  return s.replace(INVISIBLE, escapeOne);
}

/**
 * `s` as a JSON string literal, with the same characters escaped (JSON itself leaves C1
 * controls, bidi overrides and separators raw). `JSON.parse` gives the exact value back.
 */
export function quote(s: string): string {
  return JSON.stringify(s).replace(INVISIBLE, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}
