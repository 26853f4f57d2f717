import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { applyEndSession, checkApply, planEndSession, recordDryRun } from '../app/review/end-session.js';
import { storeExists, withReviewStore } from '../app/review/store.js';
import { printable, quote } from '../core/terminal-text.js';
import { byOption, configOf, outputOptions, person, storeOptions, type StoreFlags } from './options.js';

interface EndSessionFlags extends StoreFlags {
  apply?: boolean;
  namespace?: string;
  context?: string;
  by?: string;
  force?: boolean;
  json?: boolean;
}


export function registerEndSession(program: Command): void {
  const cmd = program
    .command('endsession')
    .description("end a user's OpenUnison sessions: prints the EndSession YAML (and the oidc-sessions delete command); --apply calls the API")
    .argument('<dn>', 'the DN exactly as logged (quote it in the shell)')
    .option('--apply', 'call the Kubernetes API (KUBECONFIG or in-cluster) instead of printing')
    .option('--namespace <ns>', "OpenUnison's namespace (default: respond.namespace of --config, else openunison)")
    .option('--context <ctx>', 'kubeconfig context: the cluster whose OpenUnison holds the session')
    .option('--force', 'apply for a DN on the never-end list (break-glass) or one never seen in the logs');
  byOption(outputOptions(storeOptions(cmd), false)).action(async (dn: string, flags: EndSessionFlags) => {
    const config = configOf(flags);
    await withReviewStore(
      config,
      async (store) => {
        const req = { dn, by: person(flags.by), namespace: flags.namespace, context: flags.context };
        const plan = await planEndSession(config, store, req, Date.now());
        if (flags.apply) checkApply(plan, flags.force === true, 'pass --force');
        if (plan.protectedBy) process.stderr.write(`ouwatch: warning: ${quote(dn)} is protected by ${plan.protectedBy} (break-glass)\n`);
        if (!plan.seen) {
          const hint = plan.similar.length ? `; similar: ${plan.similar.map((s) => quote(s)).join(', ')}` : '';
          process.stderr.write(`ouwatch: warning: ${quote(dn)} was never seen in ${config.store.path}${hint}\n`);
        }
        if (!flags.apply) {
          const a = await recordDryRun(store, plan, req, flags.json ? 'printed as JSON' : 'printed on stdout', Date.now());
          if (flags.json) process.stdout.write(JSON.stringify({ manifest: plan.manifest, action: a }) + '\n');
          else process.stdout.write(plan.manifest);
          process.stderr.write(`ouwatch: recorded as action ${a.id} (dry-run, by ${printable(req.by)}); run with --apply to call the API\n`);
          return;
        }
        const out = await applyEndSession(config, store, plan, req, (note) => process.stderr.write(`ouwatch: warning: ${note}\n`));
        if (flags.json) process.stdout.write(JSON.stringify({ manifest: plan.manifest, action: out.action }) + '\n');
        if (out.ok) {
          if (!flags.json) process.stdout.write(`${out.summary} (action ${out.action.id}, by ${printable(req.by)})\n`);
        } else {
          process.stderr.write(`ouwatch: error: ${out.summary}\n`);
          process.exitCode = 1;
        }
      },
      // A responder must be able to act while the daemon runs: the action is recorded like an
      // analyst's ack (no writer lease, no migration); a missing store is created for the record.
      storeExists(config, existsSync) ? { write: true } : { create: true },
    );
  });
}
