import { SEVERITIES } from '../../../core/alerts.js';
import type { Incident } from '../../../core/incidents.js';
import type { Page } from '../../../core/review-ports.js';
import type { AlertListJson } from '../../review/alerts.js';
import type { ListQuery } from '../../review/query.js';
import { html, query, shown, type Html } from '../html.js';
import { page, severityBadge, statusBadge, type PageContext } from '../layout.js';

export interface QueueView {
  kind: 'alerts' | 'incidents';
  /** Whether the store holds incidents (the switch between the two queues is shown then). */
  hasIncidents: boolean;
  q: ListQuery;
  alerts?: Page<AlertListJson>;
  incidents?: Page<Incident>;
  error?: string;
}

const FILTERS: Array<[keyof ListQuery, string, string]> = [
  ['status', 'status', 'open,acknowledged (or all)'],
  ['severity', 'severity', 'e.g. high+'],
  ['rule', 'rule', 'rule ids, comma-separated'],
  ['dn', 'user', 'DN (* = any text)'],
  ['ip', 'address', 'address or CIDR'],
  ['since', 'since', '24h, 7d or ISO time'],
  ['until', 'until', 'ISO time or 24h'],
];

/** The queue: incidents when there are any, else alerts; filters, counts, newest critical first, pages. */
export function queuePage(ctx: PageContext, v: QueueView): string {
  const p: Page<unknown> | undefined = v.kind === 'incidents' ? v.incidents : v.alerts;
  const base = { ...v.q, view: v.kind === 'alerts' && v.hasIncidents ? 'alerts' : undefined };
  const link = (over: Partial<ListQuery>) => `/${query({ ...base, offset: undefined, ...over } as Record<string, string | undefined>)}`;
  const body = html`
<h1>${v.kind === 'incidents' ? 'Incidents' : 'Alerts'}</h1>
${v.hasIncidents ? html`<p class="switch">${v.kind === 'incidents' ? html`<a href="/?view=alerts">Show the alerts instead</a>` : html`<a href="/">Show the incidents</a>`}</p>` : ''}
<form class="filters" method="get" action="/">
  ${v.kind === 'alerts' && v.hasIncidents ? html`<input type="hidden" name="view" value="alerts">` : ''}
  ${FILTERS.map(([k, label, hint]) => html`<label>${label} <input name="${k}" value="${v.q[k] ?? ''}" placeholder="${hint}"></label>`)}
  <button>Filter</button> <a href="${v.kind === 'alerts' && v.hasIncidents ? '/?view=alerts' : '/'}">reset</a>
</form>
${v.error ? html`<p class="error" role="alert">${v.error}</p>` : ''}
${p ? counts(p, link) : ''}
${p && v.kind === 'alerts' ? alertTable(v.alerts!) : ''}
${p && v.kind === 'incidents' ? incidentTable(v.incidents!) : ''}
${p ? pager(p, (offset) => `/${query({ ...base, offset } as Record<string, string | number | undefined>)}`) : ''}`;
  return page(ctx, v.kind === 'incidents' ? 'Incidents' : 'Alerts', body);
}

function counts(p: Page<unknown>, link: (over: Partial<ListQuery>) => string): Html {
  const sev = [...SEVERITIES].reverse().filter((s) => p.counts.severity[s]);
  const rules = Object.entries(p.counts.rule).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return html`<div class="counts" id="counts">
  <span class="total"><b>${p.total.toLocaleString('en-US')}</b> match</span>
  ${sev.map((s) => html`<a class="count" href="${link({ severity: s })}">${severityBadge(s)} ${p.counts.severity[s]!.toLocaleString('en-US')}</a>`)}
  <span class="sep">by rule:</span>
  ${rules.map(([r, n]) => html`<a class="count" href="${link({ rule: r })}">${r} ${n.toLocaleString('en-US')}</a>`)}
</div>`;
}

function alertTable(p: Page<AlertListJson>): Html {
  if (p.items.length === 0) return html`<p class="empty">No alert matches.</p>`;
  return html`<table class="queue" id="queue">
<thead><tr><th>severity</th><th>rule</th><th>user / address</th><th>time (log)</th><th>count</th><th>status</th><th>reason</th></tr></thead>
<tbody>${p.items.map(
    (a) => html`<tr data-id="${a.id}">
<td>${severityBadge(a.severity)}</td><td>${a.rule}</td>
<td class="who">${a.dn !== null ? html`<a href="/users${query({ dn: a.dn })}">${shown(a.dn)}</a>` : ''}${a.ip !== null ? html`<div class="ip">${shown(a.ip)}${a.country ? ` (${a.country})` : ''}</div>` : ''}</td>
<td class="time">${a.time}</td><td class="num">${a.count}</td><td>${statusBadge(a.status)}</td>
<td class="reason"><a href="/alerts/${a.id}">${shown(a.reason)}</a></td></tr>`,
  )}</tbody></table>`;
}

function incidentTable(p: Page<Incident>): Html {
  if (p.items.length === 0) return html`<p class="empty">No incident matches.</p>`;
  return html`<table class="queue" id="queue">
<thead><tr><th>severity</th><th>risk</th><th>user / network</th><th>first</th><th>latest (log)</th><th>alerts</th><th>status</th><th>rules</th></tr></thead>
<tbody>${p.items.map(
    (i) => html`<tr data-id="${i.id}">
<td>${severityBadge(i.severity)}</td><td class="num">${i.risk}</td>
<td class="who"><a href="/incidents/${i.id}">${shown(i.dn ?? i.ip)}</a></td>
<td class="time">${i.firstTime}</td><td class="time">${i.lastTime}</td><td class="num">${i.alertIds.length}</td><td>${statusBadge(i.status)}</td>
<td>${i.rules.join(', ')}</td></tr>`,
  )}</tbody></table>`;
}

export function pager(p: { items: unknown[]; total: number; offset: number; limit: number | null }, href: (offset: number) => string): Html {
  const shownTo = p.offset + p.items.length;
  const prev = p.limit !== null && p.offset > 0 ? Math.max(0, p.offset - p.limit) : null;
  const next = shownTo < p.total ? shownTo : null;
  return html`<nav class="pager">${p.total === 0 ? '' : `${(p.offset + 1).toLocaleString('en-US')}–${shownTo.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')}`}
${prev !== null ? html` <a rel="prev" href="${href(prev)}">newer</a>` : ''}${next !== null ? html` <a rel="next" href="${href(next)}">next ${Math.min(p.limit ?? 0, p.total - next)}</a>` : ''}</nav>`;
}
