import escapeHtml from 'escape-html';
import type { Alert, Severity } from '../../../core/alerts.js';
import { SEVERITIES, severityRank } from '../../../core/alerts.js';
import { quote } from '../../../core/terminal-text.js';

/**
 * The email digest: the alerts of one window, as plain text, HTML and a JSON attachment.
 * Every field that comes from a log (DN, IP, reason, evidence) is written as a JSON string
 * literal with line breaks, controls and bidirectional overrides escaped, so that it can
 * neither forge lines in the text part, nor markup in the HTML part (escape-html on top),
 * nor reorder what a reader sees; a reader (or JSON.parse) gets the exact value back.
 * The subject carries counts and rule ids only.
 */

export interface Digest {
  subject: string;
  text: string;
  html: string;
  /** The alerts exactly, for machines (`alerts.json`). */
  json: string;
}

const q = (s: string | null) => (s === null ? '-' : quote(s));

export function composeDigest(alerts: Alert[], subjectPrefix: string): Digest {
  const sorted = [...alerts].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.time.localeCompare(b.time));
  const bySeverity = [...SEVERITIES].reverse().filter((s) => sorted.some((a) => a.severity === s)).map((s) => `${count(sorted, s)} ${s}`);
  const headline = `${alerts.length} alert${alerts.length === 1 ? '' : 's'} (${bySeverity.join(', ')})`;
  const subject = alerts.length === 1 ? `${subjectPrefix} ${sorted[0].severity}: ${sorted[0].rule}` : `${subjectPrefix} ${headline}`;
  return { subject, text: text(sorted, headline), html: html(sorted, headline), json: JSON.stringify(sorted, null, 2) };
}

function count(alerts: Alert[], s: Severity): number {
  return alerts.filter((a) => a.severity === s).length;
}

function response(a: Alert): string {
  const r = a.response;
  return r === null ? 'none' : `${r.action} ${r.mode} ${r.status}${r.name ? ` (${r.name})` : ''}`;
}

/** Rows of one alert: [label, value already made safe for text]. */
function rows(a: Alert): Array<[string, string]> {
  return [
    ['rule', a.rule],
    ['time', a.time],
    ['dn', q(a.dn)],
    ['dn sha1', a.dnSha1 ?? '-'],
    ['ip', a.ip === null ? '-' : `${quote(a.ip)}${a.country ? ` (${quote(a.country)})` : ''}`],
    ['reason', quote(a.reason)],
    ['status', a.status],
    ['response', response(a)],
    ['alert id', quote(a.id)],
  ];
}

function text(alerts: Alert[], headline: string): string {
  const out = [`ouwatch: ${headline}`, 'Values from the logs are quoted as JSON strings, exactly as logged.', ''];
  for (const a of alerts) {
    out.push(`[${a.severity.toUpperCase()}] ${a.rule}`);
    for (const [k, v] of rows(a).slice(1)) out.push(`  ${k.padEnd(9)} ${v}`);
    if (a.evidence.length) out.push('  evidence:');
    for (const e of a.evidence) out.push(`    ${quote(e.source)} ${quote(e.line)}`);
    out.push('');
  }
  out.push('The attachment alerts.json holds these alerts in the ouwatch Alert JSON format.');
  return out.join('\n') + '\n';
}

function html(alerts: Alert[], headline: string): string {
  const h = (s: string) => escapeHtml(s);
  const colour: Record<Severity, string> = { critical: '#b00020', high: '#d35400', medium: '#b7950b', low: '#555' };
  const parts = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2>ouwatch: ${h(headline)}</h2>`,
    '<p>Values from the logs are quoted as JSON strings, exactly as logged.</p>',
  ];
  for (const a of alerts) {
    parts.push(`<h3 style="color:${colour[a.severity]}">${h(a.severity.toUpperCase())} ${h(a.rule)}</h3>`, '<table>');
    for (const [k, v] of rows(a).slice(1)) parts.push(`<tr><th align="left">${h(k)}</th><td><code>${h(v)}</code></td></tr>`);
    parts.push('</table>');
    if (a.evidence.length) {
      parts.push('<ul>');
      for (const e of a.evidence) parts.push(`<li><code>${h(quote(e.source))}</code> <code>${h(quote(e.line))}</code></li>`);
      parts.push('</ul>');
    }
  }
  parts.push('</body></html>');
  return parts.join('\n');
}
