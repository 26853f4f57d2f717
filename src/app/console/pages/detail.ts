import { confirmationState, confirmationText, type ActionRecord } from '../../../core/actions.js';
import type { Evidence } from '../../../core/alerts.js';
import type { AlertDetailJson } from '../../review/alerts.js';
import type { EndSessionPlan } from '../../review/end-session.js';
import type { IncidentDetailJson } from '../../review/incidents.js';
import type { UserView } from '../../review/users.js';
import { html, query, shown, type Html } from '../html.js';
import { page, severityBadge, statusBadge, statusForms, type PageContext } from '../layout.js';

/** One alert: reason, every evidence line with its source, the user's context, responses, changes. */
export function alertPage(ctx: PageContext, a: AlertDetailJson, user: UserView | null): string {
  const body = html`
<h1>${severityBadge(a.severity)} ${a.rule} ${statusBadge(a.status, a.closedBenign)}</h1>
<p class="reason" id="reason">${shown(a.reason)}</p>
<dl class="facts">
  <dt>alert</dt><dd><code>${a.id}</code></dd>
  <dt>time (log)</dt><dd>${a.time}${a.count > 1 ? ` (${a.count} occurrences, the last at ${a.lastTime})` : ''}</dd>
  <dt>user</dt><dd>${a.dn === null ? '-' : html`<a id="user-link" href="/users${query({ dn: a.dn })}">${shown(a.dn)}</a>`}</dd>
  ${a.dnSha1 ? html`<dt>DN sha1</dt><dd><code>${a.dnSha1}</code></dd>` : ''}
  <dt>address</dt><dd>${shown(a.ip)}${a.country ? ` (${a.country})` : ''}</dd>
  <dt>response</dt><dd>${a.response ? `${a.response.action} ${a.response.mode} ${a.response.name}: ${a.response.status}` : a.respond ? 'eligible, none recorded' : 'none (the rule does not ask for one)'}</dd>
  ${a.incidentIds.length ? html`<dt>incidents</dt><dd>${a.incidentIds.map((i) => html`<a href="/incidents/${i}">${i}</a> `)}</dd>` : ''}
  ${a.userIncidentIds.length ? html`<dt>users' incidents on this address</dt><dd id="user-incidents">${a.userIncidentIds.map((i) => html`<a href="/incidents/${i}">${i}</a> `)}</dd>` : ''}
</dl>
${statusForms(ctx, `/alerts/${a.id}/status`, a.status)}
${a.dn !== null ? html`<p><a class="button danger" id="end-session" href="/end-session${query({ dn: a.dn, alert: a.id })}">End this user's sessions…</a></p>` : ''}
${user ? userContext(user, a.ip) : ''}
${evidence(a.evidence, a.evidenceTotal)}
${actions(a.actions)}
${history(a.history)}`;
  return page(ctx, `alert ${a.id}`, body);
}

function userContext(u: UserView, ip: string | null): Html {
  const here = ip === null ? undefined : u.ips.find((x) => x.ip === ip);
  return html`<section><h2>The user before and after</h2>
<p>Seen ${u.firstSeen} .. ${u.lastSeen}; ${u.ips.length} address${u.ips.length === 1 ? '' : 'es'}, countries ${u.countries.map((c) => c.country).join(', ') || 'none known'};
${u.alerts.length} alert${u.alerts.length === 1 ? '' : 's'} in all. ${here ? `This address: ${here.count} events from ${here.firstSeen} to ${here.lastSeen}.` : ''}</p></section>`;
}

function evidence(lines: Evidence[], total: number): Html {
  return html`<section><h2>Evidence (${lines.length === total ? lines.length : `${lines.length} of ${total} lines`})</h2>
<table class="evidence" id="evidence"><thead><tr><th>source</th><th>line</th><th>log line</th></tr></thead><tbody>
${lines.map((e) => {
    const colon = e.source.lastIndexOf(':');
    const file = colon > 0 ? e.source.slice(0, colon) : e.source;
    const no = colon > 0 ? e.source.slice(colon + 1) : '';
    return html`<tr><td class="src">${shown(file)}</td><td class="num">${no}</td><td><code>${shown(e.line)}</code></td></tr>`;
  })}
</tbody></table>
${total > lines.length ? html`<p class="note">${total - lines.length} more lines were not kept (raise detect.maxEvidence to keep more).</p>` : ''}</section>`;
}

export function actions(list: ActionRecord[]): Html {
  if (list.length === 0) return html`<section><h2>Responses</h2><p class="empty">None recorded.</p></section>`;
  return html`<section><h2>Responses</h2><table class="actions" id="actions"><thead><tr><th>id</th><th>time</th><th>action</th><th>mode</th><th>status</th><th>by</th><th>API answers</th></tr></thead><tbody>
${list.map(
    (x) => html`<tr><td>${x.id}</td><td class="time">${x.time}</td><td>${x.action}</td><td>${x.mode}</td><td>${x.status}${x.guard ? ` (held by ${x.guard})` : ''}</td><td>${shown(x.by)}</td>
<td>${x.steps.map((s) => html`<div>${s.step}: ${s.code ?? '-'} ${s.outcome} ${shown(s.message)}</div>`)}${x.error ? html`<div class="error">${shown(x.error)}</div>` : ''}${x.reason ? html`<div class="note">${shown(x.reason)}</div>` : ''}${logoutNote(x)}</td></tr>`,
  )}</tbody></table></section>`;
}

/** Whether OpenUnison logged the user out after an end-session action, with the line's time and place. */
export function logoutNote(x: Pick<ActionRecord, 'action' | 'mode' | 'status' | 'time' | 'confirmed'>): Html | '' {
  const now = Date.now();
  const text = confirmationText(x, now);
  if (text === null) return '';
  return confirmationState(x, now) === 'unconfirmed' ? html`<div class="error logout">${shown(text)}</div>` : html`<div class="note logout">${shown(text)}</div>`;
}

function history(h: AlertDetailJson['history']): Html {
  return html`<section><h2>History</h2><ol class="history" id="history">${h.map((x) => html`<li>${x.at} ${statusBadge(x.status)} by <b>${shown(x.by)}</b>${x.comment ? html`: ${shown(x.comment)}` : ''}</li>`)}</ol></section>`;
}

function alertTable(alerts: IncidentDetailJson['alerts']): Html {
  return html`<table class="queue"><thead><tr><th>severity</th><th>rule</th><th>time (log)</th><th>status</th><th>reason</th></tr></thead><tbody>
${alerts.map((a) => html`<tr><td>${severityBadge(a.severity)}</td><td>${a.rule}</td><td class="time">${a.time}</td><td>${statusBadge(a.status)}</td><td><a href="/alerts/${a.id}">${shown(a.reason)}</a></td></tr>`)}
</tbody></table>`;
}

/** One incident: its alerts, its status, the changes. */
export function incidentPage(ctx: PageContext, i: IncidentDetailJson): string {
  const body = html`
<h1>${severityBadge(i.severity)} Incident <code>${i.id}</code> ${statusBadge(i.status, i.closedBenign)}</h1>
<dl class="facts">
  <dt>risk</dt><dd>${i.risk}</dd>
  <dt>user</dt><dd>${i.dn === null ? '-' : html`<a href="/users${query({ dn: i.dn })}">${shown(i.dn)}</a>`}</dd>
  <dt>network</dt><dd>${shown(i.ip)}</dd>
  <dt>time (log)</dt><dd>${i.firstTime} .. ${i.lastTime}</dd>
  <dt>rules</dt><dd>${i.rules.join(', ')}</dd>
</dl>
${statusForms(ctx, `/incidents/${i.id}/status`, i.status)}
${i.dn !== null ? html`<p><a class="button danger" href="/end-session${query({ dn: i.dn })}">End this user's sessions…</a></p>` : ''}
<section><h2>Alerts (${i.alerts.length})</h2>${alertTable(i.alerts)}</section>
${i.addressAlerts.length > 0 ? html`<section id="address-alerts"><h2>Alerts without a user from these addresses, within a day (${i.addressAlerts.length})</h2>${alertTable(i.addressAlerts)}</section>` : ''}
${history(i.history)}`;
  return page(ctx, `incident ${i.id}`, body);
}

/** The dry-run manifest first; applying is offered only where the configuration allows it. */
export function endSessionPage(ctx: PageContext, plan: EndSessionPlan, result: { action: ActionRecord; summary: string } | null): string {
  const t = plan.target;
  const body = html`
<h1>End the sessions of <span class="dn">${shown(t.dn)}</span></h1>
${plan.protectedBy ? html`<p class="error">This DN is protected by ${plan.protectedBy} (break-glass): the console will not end it.</p>` : ''}
${!plan.seen ? html`<p class="error">This DN was never seen in the logs${plan.similar.length ? html` (similar: ${plan.similar.map((s) => html`<a href="/users${query({ dn: s })}">${shown(s)}</a> `)})` : ''}: the console will not end it.</p>` : ''}
${result ? html`<p class="note" id="result">${shown(result.summary)}</p>${actions([result.action])}` : ''}
<p>Two steps, in this order: delete the user's <code>oidc-sessions</code> in namespace <code>${t.namespace}</code> (label <code>tremolo.io/user-dn=${t.dnSha1}</code>),
then create this EndSession${t.context ? ` in context ${t.context}` : ''}:</p>
<pre id="manifest">${plan.manifest}</pre>
${result ? '' : endForms(ctx, plan)}`;
  return page(ctx, 'end session', body);
}

function endForms(ctx: PageContext, plan: EndSessionPlan): Html {
  const hidden = html`<input type="hidden" name="_csrf" value="${ctx.csrf}"><input type="hidden" name="dn" value="${plan.target.dn}"><input type="hidden" name="alert" value="${plan.target.alertId ?? ''}">`;
  const blocked = plan.protectedBy !== null || !plan.seen;
  return html`<form method="post" action="/end-session" class="change">${hidden}<input type="hidden" name="mode" value="dry-run"><button>Record as a dry run (nothing called)</button></form>
${plan.consoleMayApply && !blocked ? html`<form method="post" action="/end-session" class="change">${hidden}<input type="hidden" name="mode" value="apply"><button class="danger">Apply: end the sessions now</button></form>` : ''}
${!plan.consoleMayApply ? html`<p class="note">Applying from the console needs <code>respond.mode: apply</code> in the configuration; until then, record the dry run and apply the manifest with kubectl, or run <code>ouwatch endsession DN --apply</code>.</p>` : ''}`;
}
