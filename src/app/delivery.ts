import type { Config } from './config.js';
import { EmailDeliverer } from '../components/sinks/email/email.js';
import { JsonlDeliverer } from '../components/sinks/jsonl/jsonl.js';
import { Notifier } from '../pipeline/delivery/notifier.js';
import { WebhookDeliverer } from '../components/sinks/webhook/webhook.js';
import type { ActionRepository, AlertResponses, CommitHook, OutboxRepository } from '../core/ports.js';
import { EndSessionDeliverer } from '../components/sinks/end-session/deliverer.js';
import { KubeClients } from '../components/sinks/end-session/kube-clients.js';
import { Responder } from '../components/sinks/end-session/responder.js';
import { ActionStore } from '../store/sqlite/actions.js';
import { AlertResponseWriter } from '../store/sqlite/alert-responses.js';
import type { Db } from '../store/sqlite/database.js';
import { OutboxStore } from '../store/sqlite/outbox.js';
import { storeInstance } from '../store/sqlite/store-meta.js';
import type { Log } from '../core/log.js';
import { OutboxWorker } from '../pipeline/delivery/outbox-worker.js';
import { type Deliverer } from '../core/delivery.js';

/** What delivery needs of the store: the action log, the outbox, alerts' responses, its identity. */
export interface DeliveryStore {
  actions: ActionRepository;
  outbox: OutboxRepository;
  alertResponses: AlertResponses;
  /** The store's random identity (it names email Message-IDs). */
  instance: string;
}

/** Delivery on a SQLite connection. */
export function sqliteDeliveryStore(db: Db): { actions: ActionStore; outbox: OutboxStore; alertResponses: AlertResponseWriter; instance: string } {
  return { actions: new ActionStore(db), outbox: new OutboxStore(db), alertResponses: new AlertResponseWriter(db), instance: storeInstance(db) };
}

/** Response, notifications and their delivery worker, built from the configuration. */
export interface Delivery<S extends DeliveryStore = DeliveryStore> {
  responder: Responder;
  notifier: Notifier;
  worker: OutboxWorker;
  actions: S['actions'];
  outbox: S['outbox'];
  /** Commit hooks, in order: respond first (sets `alert.response`), then notify. */
  hooks: CommitHook[];
  /**
   * Start-up check of what delivery needs (apply mode: the Kubernetes configuration and every
   * configured context). Throws KubeConfigError; call it before reading any input.
   */
  verify(): Promise<void>;
  /** Stops the worker and closes connections. */
  close(): Promise<void>;
}

export interface DeliveryOptions {
  log: Log;
  now?: () => number;
  random?: () => number;
  /** See WorkerOptions: the store's writability check and the storage-fault handler. */
  beforeRun?: () => void;
  onLoopError?: (err: unknown) => boolean;
}

export function buildDelivery<S extends DeliveryStore>(store: S, config: Config, o: DeliveryOptions): Delivery<S> {
  const now = o.now ?? Date.now;
  const { actions, outbox, alertResponses } = store;
  const r = config.respond;

  const clients = r.mode === 'apply' ? new KubeClients({ kubeconfig: r.kubeconfig, timeoutMs: r.requestTimeoutMs }) : null;
  const contexts = new Set([r.context ?? null, ...r.routes.map((x) => x.context ?? r.context ?? null)]);
  const email = config.notify.email ? new EmailDeliverer(config.notify.email, store.instance) : null;
  const deliverers: Deliverer[] = [
    new EndSessionDeliverer({
      clients,
      manifestDir: r.manifestDir ?? null,
      print: (yaml, t) => o.log.info(`dry-run: would end the sessions of ${JSON.stringify(t.dn)} (alert ${t.alertId ?? '-'}); nothing was called. Manifest:`, { text: yaml }),
      now,
      actions,
      alertResponses,
      log: o.log,
      mode: r.mode,
    }),
    new WebhookDeliverer(config.notify.webhooks, now),
  ];
  if (email) deliverers.push(email);
  if (config.notify.jsonl) deliverers.push(new JsonlDeliverer(config.notify.jsonl.path));

  const worker = new OutboxWorker({
    store: outbox,
    deliverers,
    log: o.log,
    baseDelayMs: config.outbox.baseDelayMs,
    maxDelayMs: config.outbox.maxDelayMs,
    pollMs: config.outbox.pollMs,
    keepDeliveredDays: config.outbox.keepDeliveredDays,
    leaseMs: 2 * 60_000 + Math.max(r.requestTimeoutMs * 2, config.notify.email?.timeoutMs ?? 0, ...config.notify.webhooks.map((w) => w.timeoutMs)),
    now,
    random: o.random,
    beforeRun: o.beforeRun,
    onLoopError: o.onLoopError,
  });
  const nudge = () => worker.nudge();
  const responder = new Responder({ config: r, log: o.log, now, nudge });
  const notifier = new Notifier(config.notify, now, nudge);
  return {
    responder,
    notifier,
    worker,
    actions,
    outbox,
    hooks: [responder.hook, notifier.hook],
    verify: async () => {
      if (clients) for (const ctx of contexts) await clients.get(ctx);
    },
    close: async () => {
      await worker.stop();
      email?.close();
    },
  };
}

/** One line on what the outbox worker left when a replay ended (for the CLI). */
export { describeDrain } from '../pipeline/delivery/outbox-worker.js';
