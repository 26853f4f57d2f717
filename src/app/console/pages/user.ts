import type { UserView } from '../../review/users.js';
import { TIMELINE_DAYS } from '../../review/users.js';
import { html, query, shown, type Html } from '../html.js';
import { page, severityBadge, statusBadge, type PageContext } from '../layout.js';
import { logoutNote } from './detail.js';

function alertTable(alerts: UserView['alerts']): Html {
  return html`<table class="queue"><thead><tr><th>severity</th><th>rule</th><th>time (log)</th><th>address</th><th>status</th></tr></thead><tbody>
${alerts.map((a) => html`<tr><td>${severityBadge(a.severity)}</td><td><a href="/alerts/${a.id}">${a.rule}</a></td><td class="time">${a.time}</td><td>${shown(a.ip)}${a.country ? ` (${a.country})` : ''}</td><td>${statusBadge(a.status)}</td></tr>`)}
</tbody></table>`;
}

/** A user: the timeline (drawn by user.js from /api/user/timeline), addresses, sessions, alerts. */
export function userPage(ctx: PageContext, u: UserView): string {
  const body = html`
<h1 class="dn" id="dn">${shown(u.dn)}</h1>
<p>DN sha1 <code>${u.dnSha1}</code> · seen ${u.firstSeen} .. ${u.lastSeen} · ${Object.entries(u.counts).map(([t, n]) => `${t} ${n}`).join(', ')}
· <a href="/end-session${query({ dn: u.dn })}">End this user's sessions…</a></p>
<section><h2>Events per hour by address, up to ${TIMELINE_DAYS} days before the last event (alerts marked)</h2>
<div id="timeline" class="chart" data-dn="${u.dn}"></div><p class="note" id="timeline-note"></p></section>
<section><h2>Addresses (${u.ips.length})</h2><table id="addresses"><thead><tr><th>address</th><th>country</th><th>network (ASN)</th><th>first seen</th><th>last seen</th><th>events</th></tr></thead><tbody>
${u.ips.map(
    (i) => html`<tr><td>${shown(i.ip)}</td><td>${i.country ?? '-'}</td><td>${i.asn === undefined || i.asn === null ? '-' : `AS${i.asn}${i.asOrg ? ` ${shown(i.asOrg)}` : ''}`}</td><td class="time">${i.firstSeen}</td><td class="time">${i.lastSeen}</td><td class="num">${i.count}</td></tr>`,
  )}</tbody></table></section>
<section><h2>Alerts (${u.alerts.length})</h2>${alertTable(u.alerts)}</section>
${u.addressAlerts.length ? html`<section id="address-alerts"><h2>Alerts without a user from these addresses, within a day (${u.addressAlerts.length})</h2>${alertTable(u.addressAlerts)}</section>` : ''}
${u.incidents.length ? html`<section><h2>Incidents (${u.incidents.length})</h2><ul>${u.incidents.map((i) => html`<li><a href="/incidents/${i.id}">${i.id}</a> ${severityBadge(i.severity)} risk ${i.risk} ${statusBadge(i.status)} ${i.firstTime} .. ${i.lastTime}</li>`)}</ul></section>` : ''}
<section><h2>Recent sessions (${u.sessions.length})</h2><table><thead><tr><th>session</th><th>first</th><th>last</th><th>events</th><th>addresses</th></tr></thead><tbody>
${u.sessions.map((s) => html`<tr><td><code>${shown(s.sessionId)}</code></td><td class="time">${s.firstSeen}</td><td class="time">${s.lastSeen}</td><td class="num">${s.count}</td><td>${s.ips.map(shown).join(', ')}</td></tr>`)}
</tbody></table></section>
${u.actions.length ? html`<section><h2>Responses</h2><ul>${u.actions.map((x) => html`<li>${x.time} ${x.action} ${x.mode} ${x.status}${x.guard ? ` (held by ${x.guard})` : ''} by ${shown(x.by)}${logoutNote(x)}</li>`)}</ul></section>` : ''}`;
  return page(ctx, 'user', body, ['uplot', 'user.js']);
}

/** A DN with no history: say so, with the DNs it resembles. */
export function unknownUserPage(ctx: PageContext, dn: string, message: string): string {
  return page(ctx, 'user', html`<h1>No such user</h1><p class="error">${shown(message)}</p><form method="get" action="/users"><input name="dn" value="${dn}" size="60"><button>Find</button></form>`);
}
