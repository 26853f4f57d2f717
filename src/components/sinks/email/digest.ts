import escapeHtml from 'escape-html';
import type { Alert, Severity } from '../../../core/alerts.js';
import { SEVERITIES, severityRank } from '../../../core/alerts.js';
import { quote } from '../../../core/terminal-text.js';
import { alertCountOf, isIncidentNotice, noticeJson, type IncidentNotice, type Notice } from '../../../core/notices.js';

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
  /** The notices exactly, for machines. */
  json: string;
  /** `alerts.json`, or `incidents.json` when the digest holds incidents. */
  attachment: string;
}

/**
 * The digest of one window's notices: incidents (opened or escalated, each with the alerts
 * that made the change) first, then alerts notified on their own.
 */
export function composeNoticeDigest(notices: Notice[], subjectPrefix: string): Digest {
  const incidents = notices.filter(isIncidentNotice);
  if (incidents.length === 0) return composeDigest(notices as Alert[], subjectPrefix);
  const sorted = [...incidents].sort((a, b) => severityRank(b.incident.severity) - severityRank(a.incident.severity) || a.incident.lastTime.localeCompare(b.incident.lastTime));
  const alerts = notices.filter((n): n is Alert => !isIncidentNotice(n));
  const top = sorted[0].incident;
  const headline = `${incidents.length} incident${incidents.length === 1 ? '' : 's'}` + (alerts.length ? ` and ${alerts.length} alert${alerts.length === 1 ? '' : 's'}` : '');
  const subject =
    incidents.length === 1 && alerts.length === 0
      ? `${subjectPrefix} ${top.severity} incident ${sorted[0].change}: ${top.rules.join(', ')}`
      : `${subjectPrefix} ${headline} (highest: ${top.severity})`;
  const t = [`ouwatch: ${headline}`, 'Values from the logs are quoted as JSON strings, exactly as logged.', ''];
  const h = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2>ouwatch: ${escapeHtml(headline)}</h2>`,
    '<p>Values from the logs are quoted as JSON strings, exactly as logged.</p>',
  ];
  for (const n of sorted) {
    const [tt, hh] = incidentBlock(n);
    t.push(...tt);
    h.push(...hh);
  }
  if (alerts.length > 0) {
    t.push(text(alerts, `${alerts.length} alert${alerts.length === 1 ? '' : 's'} on their own`).split('\n').slice(2).join('\n'));
    h.push(html(alerts, '').replace(/^<!doctype html><html><body[^>]*>\n<h2>[^\n]*<\/h2>\n<p>[^\n]*<\/p>\n/, '').replace(/<\/body><\/html>$/, ''));
  }
  t.push('The attachment incidents.json holds these notices in the ouwatch JSON formats (incident, alert).');
  h.push('</body></html>');
  return { subject, text: t.join('\n') + '\n', html: h.join('\n'), json: JSON.stringify(notices.map(noticeJson), null, 2), attachment: 'incidents.json' };
}

/** Alert ids an incident block lists; incidents.json holds those the notice carries (up to 1,000). */
const LISTED_ALERT_IDS = 10;

/**
 * An incident's alert count and ids. An incident left open through a storm holds thousands
 * of alerts, and an escalation would mail every id on one line: the last few listed are enough
 * to find it in the console, the attachment has those the notice carries (up to 1,000), and
 * `ouwatch incidents show` all of them. `count` may exceed the ids the notice carries.
 */
function alertIdsField(ids: readonly string[], count: number): string {
  if (count <= LISTED_ALERT_IDS && ids.length === count) return `${count} (${ids.map((x) => quote(x)).join(', ')})`;
  const listed = ids.slice(-LISTED_ALERT_IDS);
  const where = ids.length === count ? 'all in incidents.json' : `the latest ${ids.length} in incidents.json, all with ouwatch incidents show`;
  return `${count} (${listed.map((x) => quote(x)).join(', ')} and ${count - listed.length} more: ${where})`;
}

/** One incident: its headline and fields, then the alerts that opened or escalated it. */
function incidentBlock(n: IncidentNotice): [string[], string[]] {
  const i = n.incident;
  const fields: Array<[string, string]> = [
    ['user', q(i.dn)],
    ['network', i.dn === null ? q(i.ip) : '-'],
    ['risk', String(i.risk)],
    ['rules', i.rules.join(', ')],
    ['alerts', alertIdsField(i.alertIds, alertCountOf(n))],
    ['from', i.firstTime],
    ['to', i.lastTime],
    ['status', i.status],
    ['incident', quote(i.id)],
  ];
  const title = `[${i.severity.toUpperCase()}] incident ${n.change}`;
  const t = [title, ...fields.map(([k, v]) => `  ${k.padEnd(9)} ${v}`), ''];
  const h = [`<h3>${escapeHtml(title)}</h3>`, '<table>', ...fields.map(([k, v]) => `<tr><th align="left">${escapeHtml(k)}</th><td><code>${escapeHtml(v)}</code></td></tr>`), '</table>'];
  for (const a of n.alerts) {
    t.push(`  [${a.severity.toUpperCase()}] ${a.rule}`);
    for (const [k, v] of rows(a).slice(1)) t.push(`    ${k.padEnd(9)} ${v}`);
    for (const e of a.evidence) t.push(`      ${quote(e.source)} ${quote(e.line)}`);
    t.push('');
    h.push(`<h4>${escapeHtml(a.severity.toUpperCase())} ${escapeHtml(a.rule)}</h4>`, '<table>');
    for (const [k, v] of rows(a).slice(1)) h.push(`<tr><th align="left">${escapeHtml(k)}</th><td><code>${escapeHtml(v)}</code></td></tr>`);
    h.push('</table>');
    if (a.evidence.length) h.push('<ul>', ...a.evidence.map((e) => `<li><code>${escapeHtml(quote(e.source))}</code> <code>${escapeHtml(quote(e.line))}</code></li>`), '</ul>');
  }
  return [t, h];
}

const q = (s: string | null) => (s === null ? '-' : quote(s));

export function composeDigest(alerts: Alert[], subjectPrefix: string): Digest {
  const sorted = [...alerts].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.time.localeCompare(b.time));
  const bySeverity = [...SEVERITIES].reverse().filter((s) => sorted.some((a) => a.severity === s)).map((s) => `${count(sorted, s)} ${s}`);
  const headline = `${alerts.length} alert${alerts.length === 1 ? '' : 's'} (${bySeverity.join(', ')})`;
  const subject = alerts.length === 1 ? `${subjectPrefix} ${sorted[0].severity}: ${sorted[0].rule}` : `${subjectPrefix} ${headline}`;
  return { subject, text: text(sorted, headline), html: html(sorted, headline), json: JSON.stringify(sorted, null, 2), attachment: 'alerts.json' };
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
