/**
 * A log value (DN, IP, reason, evidence) made safe to show to a person: a JSON string literal,
 * with the characters JSON leaves raw but terminals and mail clients interpret escaped too
 * (C1 controls, line/paragraph separators, bidirectional overrides, zero-width characters).
 * `JSON.parse` gives the exact value back.
 */
export function quote(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}
