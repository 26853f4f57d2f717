import { UNCONFIRMED_ADVICE } from '../../../core/actions.js';
import type { Overview } from '../../review/overview.js';
import type { RuleRow } from '../../review/rules.js';
import { html, query, shown } from '../html.js';
import { page, severityBadge, type PageContext } from '../layout.js';

export function rulesPage(ctx: PageContext, t: { rules: RuleRow[]; invalid: string[]; dir: string }): string {
  const body = html`<h1>Rules</h1><p>From <code>${t.dir}</code>. Counts are alerts raised in the last 24 h and 7 d (log time against now), and in all.</p>
${t.invalid.map((e) => html`<p class="error">${shown(e)}</p>`)}
<table id="rules"><thead><tr><th>rule</th><th>state</th><th>severity</th><th>24 h</th><th>7 d</th><th>all</th><th>latest</th><th>what it looks for</th></tr></thead><tbody>
${t.rules.map(
    (r) => html`<tr data-rule="${r.id}"><td><a href="/${query({ rule: r.id, status: 'all' })}">${r.id}</a></td>
<td>${!r.enabled ? html`<span class="off">off</span>` : r.inactive ? html`<span class="idle" title="${r.inactive}">idle</span>` : html`<span class="on">on</span>`}</td>
<td>${severityBadge(r.severity)}</td><td class="num">${r.alerts24h}</td><td class="num">${r.alerts7d}</td><td class="num">${r.alertsTotal}</td><td class="time">${r.latest ?? '-'}</td>
<td>${r.description}<div class="note">${r.params}${r.respond ? '; may trigger an EndSession' : ''}${r.inactive ? `; ${r.inactive}` : ''}</div></td></tr>`,
  )}</tbody></table>`;
  return page(ctx, 'Rules', body);
}

export function overviewPage(ctx: PageContext, o: Overview): string {
  const pending = o.outbox.counts.filter((c) => c.status === 'pending').reduce((n, c) => n + c.n, 0);
  const failed = o.outbox.counts.filter((c) => c.status === 'failed').reduce((n, c) => n + c.n, 0);
  const body = html`<h1>Overview</h1>
<p><a href="/">${o.open.alerts} open alert${o.open.alerts === 1 ? '' : 's'}</a>${o.open.incidents ? html`, <a href="/">${o.open.incidents} open incident${o.open.incidents === 1 ? '' : 's'}</a>` : ''}.</p>
<section><h2>Alerts per day by rule (${o.days[0]} .. ${o.days[o.days.length - 1]}, log time)</h2><div id="per-day" class="chart"></div></section>
<section><h2>Deliveries (outbox)</h2>
<p class="${failed > 0 ? 'error' : ''}" id="outbox-health">${pending} pending${o.outbox.oldestPending ? ` (oldest queued ${o.outbox.oldestPending})` : ''}, ${failed} failed${o.outbox.lastFailure ? html` (last ${o.outbox.lastFailure.at}, ${o.outbox.lastFailure.kind}: ${shown(o.outbox.lastFailure.error)})` : ''}.</p>
<table><thead><tr><th>kind</th><th>status</th><th>items</th></tr></thead><tbody>${o.outbox.counts.map((c) => html`<tr><td>${c.kind}</td><td>${c.status}</td><td class="num">${c.n}</td></tr>`)}</tbody></table></section>
<section><h2>Ended sessions</h2>${
    o.unconfirmed.length === 0
      ? html`<p id="unconfirmed">Every end-session action of the last day carried out more than 15 minutes ago was followed by OpenUnison's logout line.</p>`
      : html`<p class="error" id="unconfirmed">${o.unconfirmed.length} end-session ${o.unconfirmed.length === 1 ? 'action' : 'actions'} of the last day with no logout line read in the 15 minutes after: ${UNCONFIRMED_ADVICE}.</p>
<ul>${o.unconfirmed.map((a) => html`<li>${a.time} ${a.mode} action ${a.id} for ${shown(a.dn)}${a.context ? html` (context ${shown(a.context)})` : ''}: EndSession ${shown(a.name)}</li>`)}</ul>`
  }</section>`;
  return page(ctx, 'Overview', body, ['uplot', 'overview.js']);
}
