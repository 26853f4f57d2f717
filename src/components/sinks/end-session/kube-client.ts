import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ApiException, CustomObjectsApi, KubeConfig, Observable, type ConfigurationOptions, type RequestContext, type ResponseContext } from '@kubernetes/client-node';
import { KubeCallError, KubeConfigError, type KubeStep } from './kube-errors.js';
import { ENDSESSION, OIDC_SESSIONS, endSessionObject, userDnSelector, type EndSessionTarget } from './manifest.js';

/**
 * Loaded on demand (`KubeClients`): client-node takes most of a second to import, which
 * commands that never call the API should not pay.
 *
 * The two OpenUnison calls through `@kubernetes/client-node`, with the API server's answers
 * turned into outcomes a responder can act on: done, already done (409), retry later
 * (5xx, 429, network), or a permanent error with the fix (403 = RBAC, 404 = not installed).
 */

/** The calls a responder makes; implemented by the real client below. */
export interface OpenUnisonApi {
  /** Step 1: deletes the user's oidc-sessions; returns how many the API server deleted. */
  deleteOidcSessions(t: EndSessionTarget): Promise<{ code: number; deleted: number }>;
  /** Step 2: creates the EndSession; 409 (an earlier attempt created it) counts as done. */
  createEndSession(t: EndSessionTarget): Promise<{ code: number; alreadyExisted: boolean }>;
}

export interface KubeConfigOptions {
  /** A kubeconfig file; default KUBECONFIG, then in-cluster, then ~/.kube/config. */
  kubeconfig?: string;
  context?: string | null;
}

/** KubeConfig from an explicit file, KUBECONFIG, the pod's service account, or ~/.kube/config. */
export function loadKubeConfig(opts: KubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  const home = join(homedir(), '.kube', 'config');
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else if (process.env.KUBECONFIG) kc.loadFromDefault();
    else if (process.env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) kc.loadFromCluster();
    else if (existsSync(home)) kc.loadFromFile(home);
    // client-node would fall back to http://localhost:8080: never send an EndSession there by accident
    else throw new KubeConfigError('no Kubernetes configuration: set KUBECONFIG, or run in a pod with a service account');
  } catch (err) {
    if (err instanceof KubeConfigError) throw err;
    throw new KubeConfigError(`cannot load the Kubernetes configuration: ${(err as Error).message}`);
  }
  if (opts.context) {
    const names = kc.getContexts().map((c) => c.name);
    if (!names.includes(opts.context)) {
      throw new KubeConfigError(`no context ${JSON.stringify(opts.context)} in the Kubernetes configuration (contexts: ${names.map((n) => JSON.stringify(n)).join(', ') || 'none'})`);
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) throw new KubeConfigError(`the Kubernetes configuration has no current context${opts.context ? '' : ' (pass --context)'}`);
  return kc;
}

export class KubeOpenUnisonApi implements OpenUnisonApi {
  private readonly api: CustomObjectsApi;
  private readonly where: string;

  constructor(
    kc: KubeConfig,
    private readonly timeoutMs: number,
  ) {
    this.api = kc.makeApiClient(CustomObjectsApi);
    this.where = `context ${JSON.stringify(kc.getCurrentContext())} (${kc.getCurrentCluster()?.server ?? '?'})`;
  }

  async deleteOidcSessions(t: EndSessionTarget): Promise<{ code: number; deleted: number }> {
    const res = await this.call('delete-oidc-sessions', t, () =>
      this.api.deleteCollectionNamespacedCustomObjectWithHttpInfo(
        { group: OIDC_SESSIONS.group, version: OIDC_SESSIONS.version, namespace: t.namespace, plural: OIDC_SESSIONS.plural, labelSelector: userDnSelector(t.dnSha1) },
        this.options(),
      ),
    );
    const items = (res.data as { items?: unknown[] } | undefined)?.items;
    return { code: res.httpStatusCode, deleted: Array.isArray(items) ? items.length : 0 };
  }

  async createEndSession(t: EndSessionTarget): Promise<{ code: number; alreadyExisted: boolean }> {
    try {
      const res = await this.call('create-endsession', t, () =>
        this.api.createNamespacedCustomObjectWithHttpInfo(
          { group: ENDSESSION.group, version: ENDSESSION.version, namespace: t.namespace, plural: ENDSESSION.plural, body: endSessionObject(t) },
          this.options(),
        ),
      );
      return { code: res.httpStatusCode, alreadyExisted: false };
    } catch (err) {
      if (err instanceof KubeCallError && err.code === 409) return { code: 409, alreadyExisted: true };
      throw err;
    }
  }

  /** A per-request timeout (client-node has none by default). */
  private options(): ConfigurationOptions {
    const timeoutMs = this.timeoutMs;
    return {
      middleware: [
        {
          pre: (ctx: RequestContext) => {
            ctx.setSignal(AbortSignal.timeout(timeoutMs));
            return new Observable(Promise.resolve(ctx));
          },
          post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
        },
      ],
      middlewareMergeStrategy: 'append',
    };
  }

  private async call<T>(step: KubeStep, t: EndSessionTarget, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw this.classify(step, t, err);
    }
  }

  private classify(step: KubeStep, t: EndSessionTarget, err: unknown): KubeCallError {
    const what = step === 'delete-oidc-sessions' ? `deletecollection ${OIDC_SESSIONS.plural}.${OIDC_SESSIONS.group}/${OIDC_SESSIONS.version}` : `create ${ENDSESSION.plural}.${ENDSESSION.group}/${ENDSESSION.version}`;
    if (!(err instanceof ApiException)) {
      const e = err as Error & { code?: string; type?: string };
      if (e.name === 'AbortError' || e.name === 'TimeoutError' || e.type === 'aborted') {
        return new KubeCallError(step, null, true, `${what} in namespace ${t.namespace}: no answer from the API server of ${this.where} within ${this.timeoutMs} ms`);
      }
      if (e.name === 'FetchError') {
        return new KubeCallError(step, null, true, `${what} in namespace ${t.namespace}: cannot reach the API server of ${this.where}: ${e.code ?? e.message}`);
      }
      // raised by the client before sending (credentials, TLS settings): retrying will not help
      return new KubeCallError(step, null, false, `${what} in namespace ${t.namespace}: the Kubernetes client refused ${this.where}: ${e.message}`);
    }
    const code = err.code;
    const status = statusMessage(err.body);
    const base = `${what} in namespace ${t.namespace} on ${this.where}: HTTP ${code}${status ? ` ${status}` : ''}`;
    if (code === 403) {
      return new KubeCallError(step, code, false, `${base}. The responder lacks RBAC permission: bind the Role of deploy/kustomize/base/responder-role.yaml (endsessions: create; oidc-sessions: list, delete, deletecollection) in namespace ${t.namespace} to the account ouwatch runs as`);
    }
    if (code === 404) {
      return new KubeCallError(step, code, false, `${base}. Not found: is OpenUnison (with its CRDs) installed in namespace ${t.namespace} of this cluster? Check --namespace and --context`);
    }
    if (code === 401) return new KubeCallError(step, code, true, `${base}. The API server rejected the credentials`);
    const retryable = code === 408 || code === 429 || code >= 500;
    return new KubeCallError(step, code, retryable, base);
  }
}

/** `reason: message` of a Kubernetes Status object, or the start of a plain-text body. */
function statusMessage(body: unknown): string {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim().slice(0, 200);
    }
  }
  if (value && typeof value === 'object') {
    const s = value as { reason?: unknown; message?: unknown };
    const parts = [typeof s.reason === 'string' ? s.reason : '', typeof s.message === 'string' ? s.message : ''].filter(Boolean);
    return parts.join(': ');
  }
  return '';
}
