import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { loadConfig } from '../app/config.js';
import { isUserDn } from '../core/events.js';
import { type ActionStep } from '../core/actions.js';
import { dnSha1 } from '../core/identity.js';
import { backoffDelay } from '../pipeline/delivery/backoff.js';
import { carryOut } from '../components/sinks/end-session/end-session.js';
import { Guards } from '../components/sinks/end-session/guards.js';
import { KubeClients } from '../components/sinks/end-session/kube-clients.js';
import { checkTarget, endSessionYaml, type EndSessionTarget } from '../components/sinks/end-session/manifest.js';
import { endSessionNameForPerson } from '../components/sinks/end-session/names.js';
import { ActionStore } from '../store/sqlite/actions.js';
import { openDatabase } from '../store/sqlite/database.js';
import { quote } from '../core/terminal-text.js';
import { UsageError } from './common.js';

interface EndSessionFlags {
  apply?: boolean;
  namespace?: string;
  context?: string;
  db?: string;
  config?: string;
  by?: string;
  force?: boolean;
}

/** Attempts of `--apply` when the API server answers 5xx or cannot be reached. */
const APPLY_ATTEMPTS = 4;

/** Who runs the command: --by, else the login name. */
export function person(by: string | undefined): string {
  if (by) return by;
  if (process.env.USER) return process.env.USER;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export function registerEndSession(program: Command): void {
  program
    .command('endsession')
    .description("end a user's OpenUnison sessions: prints the EndSession YAML (and the oidc-sessions delete command); --apply calls the API")
    .argument('<dn>', 'the DN exactly as logged (quote it in the shell)')
    .option('--apply', 'call the Kubernetes API (KUBECONFIG or in-cluster) instead of printing')
    .option('--namespace <ns>', "OpenUnison's namespace (default: respond.namespace of the config, openunison)")
    .option('--context <ctx>', 'kubeconfig context: the cluster whose OpenUnison holds the session')
    .option('--db <path>', 'SQLite database where the action is recorded (default ./ouwatch.db)')
    .option('--config <file>', 'configuration file (YAML): namespace, context, never-end list')
    .option('--by <name>', 'who is acting, for the record (default: $USER)')
    .option('--force', "end a DN on the never-end list (break-glass) anyway")
    .action(async (dn: string, flags: EndSessionFlags) => {
      if (!isUserDn(dn)) throw new UsageError(`${quote(dn)} is not a user's DN: nothing to end`);
      const config = loadConfig(flags.config);
      const now = Date.now();
      const target: EndSessionTarget = {
        dn,
        dnSha1: dnSha1(dn),
        name: endSessionNameForPerson(dn, now),
        namespace: flags.namespace ?? config.respond.namespace,
        context: flags.context ?? config.respond.context ?? null,
        alertId: null,
      };
      checkTarget(target);
      const db = openDatabase(flags.db ?? config.store.path);
      try {
        const actions = new ActionStore(db);
        const protectedBy = new Guards(config.respond.guards, actions).protectedBy(dn);
        if (protectedBy && flags.apply && !flags.force) {
          throw new UsageError(`${quote(dn)} is protected by ${protectedBy} (break-glass): not ended; pass --force to end it anyway`);
        }
        if (protectedBy) process.stderr.write(`ouwatch: warning: ${quote(dn)} is protected by ${protectedBy} (break-glass)\n`);
        const record = {
          action: 'end-session' as const,
          alertId: null,
          byKind: 'person' as const,
          by: person(flags.by),
          dn,
          dnSha1: target.dnSha1,
          name: target.name,
          namespace: target.namespace,
          context: target.context,
        };
        if (!flags.apply) {
          process.stdout.write(endSessionYaml(target));
          const a = actions.insert({ ...record, mode: 'dry-run', status: 'planned', reason: 'printed for kubectl; nothing called' }, now);
          const step: ActionStep = { step: 'print-manifest', at: new Date(now).toISOString(), code: null, outcome: 'ok', message: 'printed on stdout' };
          actions.update(a.id, { status: 'planned', steps: [step] }, now);
          process.stderr.write(`ouwatch: recorded as action ${a.id} (dry-run, by ${record.by}); run with --apply to call the API\n`);
          return;
        }
        const clients = new KubeClients({ kubeconfig: config.respond.kubeconfig, timeoutMs: config.respond.requestTimeoutMs });
        await clients.get(target.context); // a missing kubeconfig or context is a usage error (exit 2)
        const a = actions.insert({ ...record, mode: 'apply', status: 'queued' }, now);
        let steps: ActionStep[] = [];
        for (let attempt = 1; ; attempt++) {
          const out = await carryOut('apply', target, steps, { clients, manifestDir: null, print: () => {}, now: Date.now });
          steps = out.steps;
          const last = out.status !== 'retry' || attempt === APPLY_ATTEMPTS;
          const status = out.status === 'retry' ? (last ? 'failed' : 'retrying') : out.status;
          actions.update(a.id, { status, steps, error: out.error, attempts: attempt }, Date.now());
          if (out.status === 'done') {
            process.stdout.write(`${out.summary} (action ${a.id}, by ${record.by})\n`);
            return;
          }
          if (last) {
            process.stderr.write(`ouwatch: error: ending the sessions of ${quote(dn)} failed (action ${a.id}, ${attempt} attempt${attempt === 1 ? '' : 's'}): ${out.summary}\n`);
            process.exitCode = 1;
            return;
          }
          const wait = backoffDelay(attempt, { baseDelayMs: 500, maxDelayMs: 4_000 });
          process.stderr.write(`ouwatch: warning: attempt ${attempt} failed, retrying in ${(wait / 1000).toFixed(1)} s: ${out.summary}\n`);
          await new Promise((r) => setTimeout(r, wait));
        }
      } finally {
        db.close();
      }
    });
}
