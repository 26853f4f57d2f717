import { html, type Html } from './html.js';

export interface PageContext {
  /** Who is acting (shown in the header, recorded with every change). */
  actor: string;
  /** The CSRF token every form posts back. */
  csrf: string;
  /** The store's name, for the footer. */
  store: string;
}

const NAV: Array<[string, string]> = [
  ['/', 'Queue'],
  ['/overview', 'Overview'],
  ['/rules', 'Rules'],
];

/** The page shell: one stylesheet, page scripts as files (CSP: default-src 'self'). */
export function page(ctx: PageContext, title: string, body: Html, scripts: string[] = []): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${ctx.csrf}">
<title>${title} · ouwatch</title>
<link rel="stylesheet" href="/assets/console.css">
${scripts.includes('uplot') ? html`<link rel="stylesheet" href="/assets/uplot.min.css">` : ''}
</head>
<body>
<header class="top">
  <a class="brand" href="/">ouwatch</a>
  <nav>${NAV.map(([href, label]) => html`<a href="${href}">${label}</a>`)}</nav>
  <form class="find" method="get" action="/users"><input name="dn" placeholder="user DN" aria-label="user DN"><button>Find user</button></form>
  <span class="actor">acting as <b>${ctx.actor}</b></span>
</header>
<main>
${body}
</main>
<footer>store ${ctx.store} · locations: GeoLite2 data by MaxMind (via geoip-lite) · networks: <a href="https://db-ip.com" rel="noopener noreferrer">IP Geolocation by DB-IP</a>, RouteViews, NRO</footer>
${scripts.map((s) => html`<script src="/assets/${s === 'uplot' ? 'uplot.iife.min.js' : s}"></script>`)}
</body>
</html>
`.value;
}

export function severityBadge(severity: string): Html {
  return html`<span class="sev sev-${severity}">${severity}</span>`;
}

export function statusBadge(status: string, benign = false): Html {
  return html`<span class="status status-${status}">${status}${benign ? ' (benign)' : ''}</span>`;
}

/** Ack / close / close as benign / reopen buttons for one alert or incident. */
export function statusForms(ctx: PageContext, action: string, status: string): Html {
  const form = (change: string, label: string, extra: Html | string = '') => html`<form method="post" action="${action}" class="change">
  <input type="hidden" name="_csrf" value="${ctx.csrf}"><input type="hidden" name="change" value="${change}">${extra}
  <button name="submit" value="${change}">${label}</button></form>`;
  const comment = html`<input name="comment" placeholder="reason (recorded)" aria-label="reason">`;
  const parts: Html[] = [];
  if (status === 'open') parts.push(form('ack', 'Acknowledge', comment));
  if (status !== 'closed') {
    parts.push(form('close', 'Close', comment));
    parts.push(form('close', 'Close as benign', html`${comment}<input type="hidden" name="benign" value="1">`));
  } else parts.push(form('reopen', 'Reopen', comment));
  return html`<div class="changes">${parts}</div>`;
}
