import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ActionStep } from '../../../core/actions.js';
import type { ResponseMode } from '../../../core/alerts.js';
import type { KubeClients } from './kube-clients.js';
import { KubeCallError, KubeConfigError } from './kube-errors.js';
import { endSessionYaml, type EndSessionTarget } from './manifest.js';

/**
 * Carries out one end-session action in its mode. Steps already done by an earlier attempt
 * are not repeated (a retry after the delete succeeded only creates the EndSession), and
 * the create is idempotent by name, so a retry never does harm.
 */

export interface EndSessionDeps {
  /** Kubernetes clients per context (apply mode). */
  clients: KubeClients | null;
  /** Where `manifest` mode writes (a GitOps working copy). */
  manifestDir: string | null;
  /** Where `dry-run` mode prints the manifest. */
  print: (yaml: string, target: EndSessionTarget) => void;
  now: () => number;
}

export interface EndSessionOutcome {
  /** `retry`: a transient failure (5xx, network): try again later. */
  status: 'planned' | 'done' | 'failed' | 'retry';
  /** Every step so far, including those of earlier attempts. */
  steps: ActionStep[];
  error: string | null;
  /** One sentence for logs and the command line. */
  summary: string;
}

export async function carryOut(mode: ResponseMode, t: EndSessionTarget, earlier: ActionStep[], deps: EndSessionDeps): Promise<EndSessionOutcome> {
  const steps = [...earlier];
  const at = () => new Date(deps.now()).toISOString();
  if (mode === 'off') return { status: 'failed', steps, error: 'response mode is off', summary: 'nothing done: response mode is off' };
  if (mode === 'dry-run') {
    deps.print(endSessionYaml(t), t);
    steps.push({ step: 'print-manifest', at: at(), code: null, outcome: 'ok', message: 'dry-run: manifest printed, nothing called' });
    return { status: 'planned', steps, error: null, summary: `dry-run: EndSession ${t.name} planned, nothing called` };
  }
  if (mode === 'manifest') {
    if (!deps.manifestDir) return { status: 'failed', steps, error: 'manifest mode needs respond.manifestDir', summary: 'no manifest directory configured' };
    const file = join(deps.manifestDir, `${t.name}.yaml`);
    try {
      await mkdir(deps.manifestDir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      // The manifest names the user (DN): 0600 whatever the umask (a mode is only ever reduced by it).
      await writeFile(tmp, endSessionYaml(t), { encoding: 'utf8', flush: true, mode: 0o600 });
      await rename(tmp, file); // same name every retry: the file is replaced, never duplicated
    } catch (err) {
      const message = `cannot write ${file}: ${(err as Error).message}`;
      steps.push({ step: 'write-manifest', at: at(), code: null, outcome: 'error', message });
      return { status: 'retry', steps, error: message, summary: message };
    }
    steps.push({ step: 'write-manifest', at: at(), code: null, outcome: 'ok', message: `wrote ${file}` });
    return { status: 'done', steps, error: null, summary: `wrote ${file} (the oidc-sessions delete step cannot be expressed as a manifest: see its comment)` };
  }
  return apply(t, steps, deps, at);
}

async function apply(t: EndSessionTarget, steps: ActionStep[], deps: EndSessionDeps, at: () => string): Promise<EndSessionOutcome> {
  if (deps.clients === null) return { status: 'failed', steps, error: 'no Kubernetes client configured', summary: 'no Kubernetes client configured' };
  const done = (s: ActionStep['step']) => steps.some((x) => x.step === s && x.outcome !== 'error');
  let deleted: number | null = null; // null: deleted by an earlier attempt
  try {
    const api = await deps.clients.get(t.context);
    if (!done('delete-oidc-sessions')) {
      const r = await api.deleteOidcSessions(t);
      deleted = r.deleted;
      steps.push({ step: 'delete-oidc-sessions', at: at(), code: r.code, outcome: 'ok', message: `deleted ${r.deleted} oidc-session${r.deleted === 1 ? '' : 's'} labelled tremolo.io/user-dn=${t.dnSha1}` });
    }
    const c = await api.createEndSession(t);
    steps.push({
      step: 'create-endsession',
      at: at(),
      code: c.code,
      outcome: c.alreadyExisted ? 'already-exists' : 'ok',
      message: c.alreadyExisted ? `EndSession ${t.name} already exists (an earlier attempt created it)` : `created EndSession ${t.namespace}/${t.name}`,
    });
  } catch (err) {
    if (err instanceof KubeConfigError) {
      return { status: 'failed', steps, error: err.message, summary: err.message };
    }
    if (!(err instanceof KubeCallError)) throw err;
    steps.push({ step: err.step, at: at(), code: err.code, outcome: 'error', message: err.message });
    return { status: err.retryable ? 'retry' : 'failed', steps, error: err.message, summary: err.message };
  }
  const deletedNote = deleted === null ? 'oidc-sessions deleted by an earlier attempt' : `${deleted} oidc-session${deleted === 1 ? '' : 's'} deleted`;
  return { status: 'done', steps, error: null, summary: `sessions ended: ${deletedNote}, EndSession ${t.namespace}/${t.name} ${steps[steps.length - 1].outcome === 'already-exists' ? 'already there' : 'created'}` };
}
