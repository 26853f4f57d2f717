import type { Config } from '../config.js';
import type { ReviewStore } from '../../core/review-ports.js';
import { NotFoundError, ReviewError } from '../errors.js';
import { changeAlerts, listAlerts, showAlert, type StatusChange } from '../review/alerts.js';
import { listActions, showAction } from '../review/actions.js';
import { applyEndSession, checkApply, planEndSession, recordDryRun } from '../review/end-session.js';
import { changeIncidents, listIncidents, showIncident } from '../review/incidents.js';
import { overview } from '../review/overview.js';
import { paramName, type ListQuery } from '../review/query.js';
import { knownRuleIds } from '../review/rule-ids.js';
import { ruleTable } from '../review/rules.js';
import { userTimeline, userView } from '../review/users.js';

/**
 * The JSON API: the same app services as the CLI, so `/api/alerts` items are the lines of
 * `ouwatch alerts list --json`, `/api/alerts/ID` is `alerts show --json`, and so on.
 * Returns [status, body], or null for a path it does not serve.
 */
export interface ApiDeps {
  config: Config;
  store: ReviewStore;
}

const LIST_KEYS: Array<keyof ListQuery> = ['status', 'severity', 'rule', 'dn', 'ip', 'since', 'until', 'limit', 'offset', 'sort'];

export function listQueryOf(params: URLSearchParams): ListQuery {
  const q: ListQuery = {};
  for (const k of LIST_KEYS) {
    const v = params.get(k);
    if (v !== null && v !== '') q[k] = v;
  }
  return q;
}

export async function contextFor(deps: ApiDeps, q: ListQuery) {
  return { now: Date.now(), name: paramName, knownRules: q.rule === undefined ? [] : await knownRuleIds(deps.config, deps.store) };
}

export async function apiGet(deps: ApiDeps, path: string, params: URLSearchParams): Promise<unknown> {
  const { store } = deps;
  const q = listQueryOf(params);
  const m = /^\/api\/(alerts|incidents|actions)\/([^/]+)$/.exec(path);
  if (m) {
    const id = decodeURIComponent(m[2]);
    return m[1] === 'alerts' ? showAlert(store, id) : m[1] === 'incidents' ? showIncident(store, id) : showAction(store, id);
  }
  switch (path) {
    case '/api/alerts':
      return listAlerts(store, q, await contextFor(deps, q));
    case '/api/incidents':
      return listIncidents(store, q, await contextFor(deps, q));
    case '/api/actions':
      return listActions(store, q, { now: Date.now(), name: paramName, knownRules: [] });
    case '/api/user':
      return userView(store, required(params, 'dn'), Number(params.get('sessions') ?? 20));
    case '/api/user/timeline':
      return userTimeline(store, required(params, 'dn'));
    case '/api/rules':
      return (await ruleTable(deps.config, store, Date.now())).rules;
    case '/api/overview':
      return overview(store);
    case '/api/end-session':
      return planEndSession(deps.config, store, { dn: required(params, 'dn'), by: 'preview', alertId: params.get('alert') || null }, Date.now());
    default:
      throw new NotFoundError(`no API route ${path}`);
  }
}

const CHANGES: readonly string[] = ['ack', 'close', 'reopen'];

/** POST routes: status changes and end session. `actor` is the authenticated person. */
export async function apiPost(deps: ApiDeps, path: string, body: Record<string, unknown>, actor: string): Promise<unknown> {
  const { store } = deps;
  const m = /^\/api\/(alerts|incidents)\/status$/.exec(path);
  if (m) {
    const change = body.change;
    if (typeof change !== 'string' || !CHANGES.includes(change)) throw new ReviewError(`change expects ack, close or reopen`);
    const ids = Array.isArray(body.ids) ? body.ids.filter((x): x is string => typeof x === 'string') : typeof body.id === 'string' ? [body.id] : [];
    const req = { change: change as StatusChange, by: actor, comment: typeof body.comment === 'string' && body.comment.trim() ? body.comment.trim() : null, benign: body.benign === true || body.benign === '1' };
    return m[1] === 'alerts' ? changeAlerts(store, ids, req, Date.now()) : changeIncidents(store, ids, req, Date.now());
  }
  if (path === '/api/end-session') {
    const { plan, action, summary } = await endSession(deps, body, actor);
    return { manifest: plan.manifest, action, summary };
  }
  throw new NotFoundError(`no API route ${path}`);
}

/**
 * End session from the console: a dry run is always recorded when asked; an apply only where
 * the configuration allows it (`respond.mode: apply`), never for a protected or unseen DN.
 */
export async function endSession(deps: ApiDeps, body: Record<string, unknown>, actor: string) {
  const { store, config } = deps;
  const dn = typeof body.dn === 'string' ? body.dn : '';
  const alertId = typeof body.alert === 'string' && body.alert ? body.alert : null;
  const req = { dn, by: actor, alertId };
  const plan = await planEndSession(config, store, req, Date.now());
  if (body.mode === 'apply') {
    if (!plan.consoleMayApply) throw new ReviewError('applying from the console needs respond.mode: apply in the configuration');
    checkApply(plan, false, 'use the command line with --force');
    const out = await applyEndSession(config, store, plan, req);
    return { plan, action: out.action, summary: out.summary };
  }
  const action = await recordDryRun(store, plan, req, 'shown in the console', Date.now());
  return { plan, action, summary: `dry-run recorded as action ${action.id} by ${actor}: nothing called` };
}

function required(params: URLSearchParams, name: string): string {
  const v = params.get(name);
  if (v === null || v === '') throw new ReviewError(`${name} is required`);
  return v;
}
