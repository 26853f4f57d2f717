import type { Informer, KubeConfig, V1Pod } from '@kubernetes/client-node';
import { ConfigError } from '../../../core/config-file.js';
import type { SourceStatus } from '../../../core/runtime.js';
import { PodStream, describeApiError, type PodStreamDeps, type StreamWant } from './pod-stream.js';
import type { LiveSource, SourceContext } from '../../../core/live-source.js';

export interface KubernetesSourceOptions {
  namespace: string;
  labelSelector: string;
  container: string;
  context?: string;
  idleReconnectSeconds: number;
  startAt: 'beginning' | 'end';
  maxLineBytes: number;
}

const INFORMER_RETRY_MS = 5000;
const FIRST_LIST_WAIT_MS = 3000;
const WATCHDOG_MS = 30_000;

/**
 * The cluster watcher: lists and watches the pods matching a label selector in a namespace
 * (an informer from @kubernetes/client-node), follows the log of the chosen container of
 * each pod that has started (`pods/log?follow=true&timestamps=true`), lets go when a pod
 * ends, and resumes every stream after a restart from its committed position (`sinceTime`
 * plus skipping the lines already processed), so nothing is counted twice.
 */
export class KubernetesSource implements LiveSource {
  readonly name = 'kubernetes';
  private readonly streams = new Map<string, PodStream>();
  private informer: Informer<V1Pod> | null = null;
  private deps: PodStreamDeps | null = null;
  private synced = false;
  private problem: string | null = null;
  private stopped = false;
  private retry: NodeJS.Timeout | null = null;
  private errorSeen = false;
  private starting = false;
  private watchdog: NodeJS.Timeout | null = null;

  constructor(
    private readonly opts: KubernetesSourceOptions,
    private readonly ctx: SourceContext,
    private readonly kubeConfig?: KubeConfig,
  ) {}

  async start(): Promise<void> {
    // Loaded on demand: the client takes most of a second to import, and file tailing never needs it.
    const k8s = await import('@kubernetes/client-node');
    const kc = this.kubeConfig ?? loadKubeConfig(k8s, this.opts.context);
    const o = this.opts;
    this.deps = {
      ctx: this.ctx,
      logs: new k8s.Log(kc),
      namespace: o.namespace,
      container: o.container,
      maxLineBytes: o.maxLineBytes,
      idleReconnectMs: o.idleReconnectSeconds * 1000,
      startAt: o.startAt,
    };
    const api = kc.makeApiClient(k8s.CoreV1Api);
    const path = `/api/v1/namespaces/${encodeURIComponent(o.namespace)}/pods`;
    const informer = k8s.makeInformer<V1Pod>(kc, path, () => api.listNamespacedPod({ namespace: o.namespace, labelSelector: o.labelSelector }), o.labelSelector);
    this.informer = informer;
    informer.on('add', (pod) => this.reconcile(pod));
    informer.on('update', (pod) => this.reconcile(pod));
    informer.on('delete', (pod) => this.podGone(pod));
    informer.on('error', (err) => this.onInformerError(err));
    this.ctx.log.info({ namespace: o.namespace, labelSelector: o.labelSelector, container: o.container }, 'watching pods');
    // Wait a little for the first list (pods found together are merged from their first
    // lines), but never let a slow API server hold up the daemon's other sources.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.startInformer(), new Promise<void>((resolve) => (timer = setTimeout(resolve, FIRST_LIST_WAIT_MS)))]);
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.watchdog) clearInterval(this.watchdog);
    await this.informer?.stop();
    for (const s of this.streams.values()) s.close();
  }

  status(): SourceStatus {
    const inputs = [...this.streams.values()].map((s) => ({ name: s.origin, state: streamState(s) }));
    const following = [...this.streams.values()].filter((s) => s.want === 'follow');
    const missing = following.filter((s) => !s.connected).length;
    let detail: string;
    if (!this.synced) detail = this.problem === null ? 'starting: listing pods' : `waiting: ${this.problem}`;
    else if (following.length === 0) detail = `no running pod matches ${this.opts.labelSelector} in ${this.opts.namespace}`;
    else if (missing > 0) detail = `waiting: ${missing} of ${following.length} pod logs not connected`;
    else detail = `following ${following.length} pod log${following.length === 1 ? '' : 's'}`;
    return { name: this.name, attached: this.synced && missing === 0, detail, inputs };
  }

  /** Forgets streams that are over (their positions are committed by the pipeline). */
  private forgetDone(): void {
    for (const [key, s] of this.streams) if (s.done) this.streams.delete(key);
  }

  private async startInformer(): Promise<void> {
    this.errorSeen = false;
    this.starting = true;
    try {
      await this.informer!.start();
    } catch (err) {
      this.onInformerError(err);
    } finally {
      this.starting = false;
    }
    if (!this.errorSeen && !this.stopped) {
      this.synced = true;
      this.problem = null;
    }
    this.watchdog ??= setInterval(() => {
      // An error the informer failed to report would leave it stopped: start it again.
      if (!this.synced && !this.starting && this.retry === null && !this.stopped) void this.startInformer();
    }, WATCHDOG_MS);
    this.watchdog.unref();
  }

  /** The informer stops on errors (list failed, watch broken): report and start it again. */
  private onInformerError(err: unknown): void {
    this.errorSeen = true;
    this.synced = false;
    this.problem = describeApiError(err);
    this.ctx.log.warn({ err: this.problem }, 'pod watch failed (retrying)');
    if (this.stopped || this.retry !== null) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      if (!this.stopped) void this.startInformer();
    }, INFORMER_RETRY_MS);
  }

  /** A pod was listed or changed: follow its container once it has started. */
  private reconcile(pod: V1Pod): void {
    if (this.stopped) return;
    const uid = pod.metadata?.uid;
    const name = pod.metadata?.name;
    if (!uid || !name) return;
    const want = wantFor(pod, this.opts.container);
    const key = `k8s:${this.opts.namespace}/${uid}/${this.opts.container}`;
    let stream = this.streams.get(key);
    if (stream === undefined) {
      if (want === null) return;
      this.forgetDone();
      stream = new PodStream(name, uid, this.deps!);
      this.streams.set(key, stream);
    }
    if (want !== null) stream.setWant(want);
  }

  /** A pod was deleted: no new connection; the open one ends with the container. */
  private podGone(pod: V1Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const stream = this.streams.get(`k8s:${this.opts.namespace}/${uid}/${this.opts.container}`);
    if (stream) {
      stream.setWant('stop');
      this.ctx.log.info({ pod: stream.pod }, 'pod deleted: letting go of its log');
    }
  }
}

/** Follow a container that has started; read once what a finished pod left; nothing before. */
function wantFor(pod: V1Pod, container: string): StreamWant | null {
  const phase = pod.status?.phase;
  const cs = pod.status?.containerStatuses?.find((c) => c.name === container);
  if (cs === undefined) return null;
  const started = cs.state?.running !== undefined || cs.state?.terminated !== undefined || cs.restartCount > 0;
  if (!started) return null;
  if (phase === 'Succeeded' || phase === 'Failed') return 'drain';
  return 'follow';
}

function streamState(s: PodStream): string {
  if (s.connected) return 'following';
  if (s.want === 'stop') return 'done';
  return s.problem === null ? 'connecting' : `waiting: ${s.problem}`;
}

type ClientModule = typeof import('@kubernetes/client-node');

/** KUBECONFIG, ~/.kube/config or the in-cluster service account; `context` must exist. */
function loadKubeConfig(k8s: ClientModule, context: string | undefined): KubeConfig {
  const kc = new k8s.KubeConfig();
  try {
    kc.loadFromDefault();
  } catch (err) {
    throw new ConfigError('kubeconfig', [`cannot load: ${(err as Error).message}`]);
  }
  if (context !== undefined) {
    if (kc.getContextObject(context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new ConfigError('kubeconfig', [`sources.kubernetes.context: no context named '${context}' (known: ${known.join(', ') || 'none'})`]);
    }
    kc.setCurrentContext(context);
  }
  if (kc.getCurrentCluster() === null) throw new ConfigError('kubeconfig', ['no current cluster (set KUBECONFIG, or run in a pod with a service account)']);
  return kc;
}
