import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { ReviewStore } from '../../core/review-ports.js';
import { NotFoundError, ReviewError, isUserFixable } from '../errors.js';
import { changeAlerts, listAlerts, showAlert, type StatusChange } from '../review/alerts.js';
import { planEndSession } from '../review/end-session.js';
import { changeIncidents, listIncidents, showIncident } from '../review/incidents.js';
import { overview } from '../review/overview.js';
import { ruleTable } from '../review/rules.js';
import { userView } from '../review/users.js';
import { apiGet, apiPost, contextFor, endSession, listQueryOf } from './api.js';
import { loadAssets } from './assets.js';
import { SESSION_COOKIE, type ConsoleAuth } from './auth.js';
import { html, shown } from './html.js';
import { BodyError, readBody, redirect, send, sendHtml, sendJson, sameOrigin, text } from './http.js';
import { page, type PageContext } from './layout.js';
import { alertPage, endSessionPage, incidentPage } from './pages/detail.js';
import { queuePage, type QueueView } from './pages/queue.js';
import { overviewPage, rulesPage } from './pages/rules.js';
import { unknownUserPage, userPage } from './pages/user.js';

export interface ConsoleDeps {
  config: Config;
  store: ReviewStore;
  auth: ConsoleAuth;
  log: Logger;
}

/** Handles a console request; false when the path is not the console's (the daemon's own endpoints). */
export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const CHANGES: readonly string[] = ['ack', 'close', 'reopen'];

/**
 * The console: server-rendered pages, the JSON API under /api, static assets under /assets,
 * and /login when a bearer token is configured. `serve` and `run --listen` mount this one router.
 */
export function consoleRouter(deps: ConsoleDeps): ConsoleHandler {
  const assets = loadAssets();
  const { auth, store, config } = deps;
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path.startsWith('/assets/')) {
      const a = assets.get(path.slice('/assets/'.length));
      if (a === undefined || (method !== 'GET' && method !== 'HEAD')) return false;
      send(res, 200, a.type, a.body, { 'Cache-Control': 'public, max-age=3600' });
      return true;
    }
    if (!isConsolePath(path)) return false;
    // On loopback, only a loopback Host: a web page elsewhere cannot reach the console by DNS rebinding.
    if (auth.loopback && !loopbackHost(req.headers.host)) {
      send(res, 421, 'text/plain; charset=utf-8', 'misdirected request: the console answers to its loopback address only\n');
      return true;
    }
    if (path === '/login') return login(req, res, method), true;
    const who = auth.actorOf(req);
    if (who === null) {
      if (path.startsWith('/api/') || !auth.tokenConfigured) sendJson(res, 401, { error: 'authentication required: a bearer token, or the identity header from the configured reverse proxy' });
      else redirect(res, '/login');
      return true;
    }
    const ctx: PageContext = { actor: who.actor, csrf: auth.csrfFor(who.actor), store: store.name };
    try {
      if (method === 'POST') {
        // Bearer-token API clients cannot be driven by another site; browsers must prove the page is ours.
        if (who.via !== 'token') {
          if (!sameOrigin(req)) return refuse(res, path, 'cross-origin request refused'), true;
          const body = await readBody(req);
          const token = text(body._csrf) ?? (typeof req.headers['x-csrf-token'] === 'string' ? req.headers['x-csrf-token'] : undefined);
          if (!auth.checkCsrf(who.actor, token)) return refuse(res, path, 'missing or wrong CSRF token'), true;
          await post(path, body, ctx, res);
        } else {
          await post(path, await readBody(req), ctx, res);
        }
        return true;
      }
      if (method !== 'GET' && method !== 'HEAD') {
        send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD, POST' });
        return true;
      }
      if (path === '/api/session') sendJson(res, 200, { actor: ctx.actor, csrf: ctx.csrf });
      else if (path.startsWith('/api/')) sendJson(res, 200, await apiGet({ config, store }, path, url.searchParams));
      else await get(path, url.searchParams, ctx, res);
    } catch (err) {
      failed(err, path, ctx, res, deps.log);
    }
    return true;
  };

  async function get(path: string, params: URLSearchParams, ctx: PageContext, res: ServerResponse): Promise<void> {
    if (path === '/') return sendHtml(res, 200, await queue(params, ctx));
    const m = /^\/(alerts|incidents)\/([0-9a-z-]+)$/.exec(path);
    if (m?.[1] === 'alerts') {
      const a = await showAlert(store, m[2]);
      const user = a.dn === null ? null : await userView(store, a.dn, 0).catch(() => null);
      return sendHtml(res, 200, alertPage(ctx, a, user));
    }
    if (m?.[1] === 'incidents') return sendHtml(res, 200, incidentPage(ctx, await showIncident(store, m[2])));
    if (path === '/users') {
      const dn = params.get('dn') ?? '';
      try {
        return sendHtml(res, 200, userPage(ctx, await userView(store, dn, 20)));
      } catch (err) {
        if (err instanceof NotFoundError) return sendHtml(res, 404, unknownUserPage(ctx, dn, err.message));
        throw err;
      }
    }
    if (path === '/rules') return sendHtml(res, 200, rulesPage(ctx, await ruleTable(config, store, Date.now())));
    if (path === '/overview') return sendHtml(res, 200, overviewPage(ctx, await overview(store)));
    if (path === '/end-session') {
      const plan = await planEndSession(config, store, { dn: params.get('dn') ?? '', by: ctx.actor, alertId: params.get('alert') || null }, Date.now());
      return sendHtml(res, 200, endSessionPage(ctx, plan, null));
    }
    throw new NotFoundError(`no page ${path}`);
  }

  async function queue(params: URLSearchParams, ctx: PageContext): Promise<string> {
    const q = listQueryOf(params);
    const hasIncidents = await store.incidents.any();
    const kind = hasIncidents && params.get('view') !== 'alerts' ? 'incidents' : 'alerts';
    const view: QueueView = { kind, hasIncidents, q };
    const query = { ...q, sort: q.sort ?? 'severity' };
    try {
      if (kind === 'incidents') view.incidents = await listIncidents(store, query, await contextFor({ config, store }, q));
      else view.alerts = await listAlerts(store, query, await contextFor({ config, store }, q));
    } catch (err) {
      if (!(err instanceof ReviewError)) throw err;
      view.error = err.message;
    }
    return queuePage(ctx, view);
  }

  async function post(path: string, body: Record<string, unknown>, ctx: PageContext, res: ServerResponse): Promise<void> {
    if (path.startsWith('/api/')) return sendJson(res, 200, await apiPost({ config, store }, path, body, ctx.actor));
    const m = /^\/(alerts|incidents)\/([0-9a-z-]+)\/status$/.exec(path);
    if (m) {
      const change = text(body.change) ?? '';
      if (!CHANGES.includes(change)) throw new ReviewError('change expects ack, close or reopen');
      const req = { change: change as StatusChange, by: ctx.actor, comment: text(body.comment)?.trim() || null, benign: text(body.benign) === '1' };
      if (m[1] === 'alerts') await changeAlerts(store, [m[2]], req, Date.now());
      else await changeIncidents(store, [m[2]], req, Date.now());
      return redirect(res, `/${m[1]}/${m[2]}`);
    }
    if (path === '/end-session') {
      const result = await endSession({ config, store }, body, ctx.actor);
      return sendHtml(res, 200, endSessionPage(ctx, result.plan, result));
    }
    throw new NotFoundError(`no page ${path}`);
  }

  function login(req: IncomingMessage, res: ServerResponse, method: string): void {
    if (!auth.tokenConfigured) return redirect(res, '/');
    const form = (msg: string) =>
      page({ actor: '-', csrf: '', store: store.name }, 'Log in', html`<h1>Log in</h1>${msg ? html`<p class="error">${msg}</p>` : ''}<form method="post" action="/login"><label>Console token <input type="password" name="token" autocomplete="current-password"></label> <button>Log in</button></form>`);
    if (method !== 'POST') return sendHtml(res, 200, form(''));
    if (!sameOrigin(req)) return refuse(res, '/login', 'cross-origin request refused');
    void readBody(req).then(
      (body) => {
        const cookie = auth.sessionCookie(text(body.token) ?? '');
        if (cookie === null) return sendHtml(res, 401, form('Wrong token.'));
        res.writeHead(303, { Location: '/', 'Set-Cookie': `${SESSION_COOKIE}=${cookie}; HttpOnly; SameSite=Strict; Path=/`, 'Content-Length': 0, 'Cache-Control': 'no-store' });
        res.end();
      },
      () => sendHtml(res, 400, form('Bad request.')),
    );
  }
}

function refuse(res: ServerResponse, path: string, why: string): void {
  if (path.startsWith('/api/')) sendJson(res, 403, { error: why });
  else send(res, 403, 'text/plain; charset=utf-8', `forbidden: ${why}\n`);
}

function failed(err: unknown, path: string, ctx: PageContext, res: ServerResponse, log: Logger): void {
  const status = err instanceof NotFoundError ? 404 : isUserFixable(err) || err instanceof BodyError ? 400 : 500;
  const message = status === 500 ? 'internal error' : (err as Error).message;
  if (status === 500) log.error({ err: (err as Error)?.stack ?? String(err), path }, 'console request failed');
  if (res.headersSent) return void res.destroy();
  if (path.startsWith('/api/')) sendJson(res, status, { error: message });
  else sendHtml(res, status, page(ctx, 'error', html`<h1>${status === 404 ? 'Not found' : status === 400 ? 'Not possible' : 'Error'}</h1><p class="error" id="error">${shown(message)}</p>`));
}

const PAGES = ['/', '/users', '/rules', '/overview', '/end-session', '/login'];

function isConsolePath(path: string): boolean {
  return PAGES.includes(path) || path.startsWith('/api/') || /^\/(alerts|incidents)\//.test(path);
}

function loopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}
