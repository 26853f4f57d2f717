import escapeHtml from 'escape-html';
import { printable } from '../../core/terminal-text.js';

/**
 * HTML built from templates where every interpolated value is escaped (escape-html, the one
 * escaping function of the console) unless it is already `Html`. Values from logs are never
 * markup: `<script>` in a DN is shown as those characters.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | boolean | null | undefined | Html[];

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1];
  return new Html(out);
}

function piece(v: Part): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(piece).join('');
  return escapeHtml(String(v));
}

/**
 * A log-derived string as a person should see it: controls, bidi overrides and invisible
 * characters shown as visible escapes (the terminal sanitizer), then HTML-escaped by `html`.
 * Attribute values that must stay exact (a DN in a form or a link) are passed unchanged.
 */
export function shown(s: string | null | undefined): string {
  return s === null || s === undefined ? '-' : printable(s);
}

/** A query string from parameters (undefined and empty values left out). */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
