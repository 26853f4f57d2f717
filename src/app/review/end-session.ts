import type { ActionRecord, ActionStep } from '../../core/actions.js';
import { isUserDn } from '../../core/events.js';
import { dnSha1 } from '../../core/identity.js';
import type { ReviewStore } from '../../core/review-ports.js';
import { quote } from '../../core/terminal-text.js';
import { carryOut } from '../../components/sinks/end-session/end-session.js';
import { Guards } from '../../components/sinks/end-session/guards.js';
import { KubeClients } from '../../components/sinks/end-session/kube-clients.js';
import { checkTarget, endSessionYaml, type EndSessionTarget } from '../../components/sinks/end-session/manifest.js';
import { endSessionNameForPerson } from '../../components/sinks/end-session/names.js';
import { backoffDelay } from '../../pipeline/delivery/backoff.js';
import type { Config } from '../config.js';
import { ReviewError } from '../errors.js';

/** Attempts of an apply when the API server answers 5xx or cannot be reached. */
const APPLY_ATTEMPTS = 4;

export interface EndSessionRequest {
  dn: string;
  /** Who acts (a person), for the record. */
  by: string;
  alertId?: string | null;
  namespace?: string;
  context?: string;
}

/** What ending a user's sessions would do, before anything is called. */
export interface EndSessionPlan {
  target: EndSessionTarget;
  /** The EndSession document (safe for `kubectl apply -f -`), with the oidc-sessions delete as a comment. */
  manifest: string;
  /** The never-end guard that protects the DN (break-glass), or null. */
  protectedBy: string | null;
  /** Whether the store has any history for the DN (a typo is never seen). */
  seen: boolean;
  similar: string[];
  /** Whether the configuration lets the console apply it (`respond.mode: apply`). */
  consoleMayApply: boolean;
}

export async function planEndSession(config: Config, store: ReviewStore, req: EndSessionRequest, now: number): Promise<EndSessionPlan> {
  if (!isUserDn(req.dn)) throw new ReviewError(`${quote(req.dn)} is not a user's DN: nothing to end`);
  const target: EndSessionTarget = {
    dn: req.dn,
    dnSha1: dnSha1(req.dn),
    name: endSessionNameForPerson(req.dn, now),
    namespace: req.namespace ?? config.respond.namespace,
    context: req.context ?? config.respond.context ?? null,
    alertId: req.alertId ?? null,
  };
  checkTarget(target);
  const seen = (await store.users.history(req.dn, 0)) !== null;
  return {
    target,
    manifest: endSessionYaml(target),
    protectedBy: new Guards(config.respond.guards).protectedBy(req.dn),
    seen,
    similar: seen ? [] : await store.users.similar(req.dn, 5),
    consoleMayApply: config.respond.mode === 'apply',
  };
}

/** Refuses an apply that needs `force`: a protected DN, or one never seen. */
export function checkApply(plan: EndSessionPlan, force: boolean, forceName: string): void {
  if (force) return;
  const dn = quote(plan.target.dn);
  if (plan.protectedBy) throw new ReviewError(`${dn} is protected by ${plan.protectedBy} (break-glass): not ended; ${forceName} to end it anyway`);
  if (!plan.seen) {
    const hint = plan.similar.length ? ` (similar: ${plan.similar.map((s) => quote(s)).join(', ')})` : '';
    throw new ReviewError(`${dn} was never seen in the logs${hint}: not ended; check the DN, or ${forceName} to end it anyway`);
  }
}

function record(plan: EndSessionPlan, req: EndSessionRequest) {
  const t = plan.target;
  return { action: 'end-session' as const, alertId: t.alertId, byKind: 'person' as const, by: req.by, dn: t.dn, dnSha1: t.dnSha1, name: t.name, namespace: t.namespace, context: t.context };
}

/** Records a dry run (the manifest was shown; nothing called). */
export async function recordDryRun(store: ReviewStore, plan: EndSessionPlan, req: EndSessionRequest, shownWhere: string, now: number): Promise<ActionRecord> {
  const log = store.actionLog;
  const a = await log.insert({ ...record(plan, req), mode: 'dry-run', status: 'planned', reason: `${shownWhere}; nothing called` }, now);
  const step: ActionStep = { step: 'print-manifest', at: new Date(now).toISOString(), code: null, outcome: 'ok', message: shownWhere };
  await log.update(a.id, { status: 'planned', steps: [step] }, now);
  return (await log.get(a.id))!;
}

export interface ApplyOutcome {
  action: ActionRecord;
  ok: boolean;
  summary: string;
}

/**
 * Deletes the user's oidc-sessions and creates the EndSession through the Kubernetes API,
 * retrying 5xx and network failures a few times; every attempt is recorded on one action.
 */
export async function applyEndSession(config: Config, store: ReviewStore, plan: EndSessionPlan, req: EndSessionRequest, onRetry: (note: string) => void = () => {}): Promise<ApplyOutcome> {
  const clients = new KubeClients({ kubeconfig: config.respond.kubeconfig, timeoutMs: config.respond.requestTimeoutMs });
  await clients.get(plan.target.context); // a missing kubeconfig or context is the person's to fix
  const log = store.actionLog;
  const a = await log.insert({ ...record(plan, req), mode: 'apply', status: 'queued' }, Date.now());
  let steps: ActionStep[] = [];
  for (let attempt = 1; ; attempt++) {
    const out = await carryOut('apply', plan.target, steps, { clients, manifestDir: null, print: () => {}, now: Date.now });
    steps = out.steps;
    const last = out.status !== 'retry' || attempt === APPLY_ATTEMPTS;
    const status = out.status === 'retry' ? (last ? 'failed' : 'retrying') : out.status;
    await log.update(a.id, { status, steps, error: out.error, attempts: attempt }, Date.now());
    if (out.status === 'done') return { action: (await log.get(a.id))!, ok: true, summary: out.summary };
    if (last) {
      return { action: (await log.get(a.id))!, ok: false, summary: `ending the sessions of ${quote(plan.target.dn)} failed (action ${a.id}, ${attempt} attempt${attempt === 1 ? '' : 's'}): ${out.summary}` };
    }
    const wait = backoffDelay(attempt, { baseDelayMs: 500, maxDelayMs: 4_000 });
    onRetry(`attempt ${attempt} failed, retrying in ${(wait / 1000).toFixed(1)} s: ${out.summary}`);
    await new Promise((r) => setTimeout(r, wait));
  }
}
