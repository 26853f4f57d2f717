import type { Command } from 'commander';
import { DEFAULT_DB_HELP } from './options.js';

export interface RunFlags {
  config?: string;
  file: string[];
  db?: string;
  listen?: string;
  json?: boolean;
  rules?: string;
  tz?: string;
  k8s?: boolean;
  namespace?: string;
  selector?: string;
  container?: string;
  context?: string;
  nodeDir?: string;
  pod?: string;
  idleReconnectSeconds?: string;
  maxLineBytes?: string;
  startAt?: string;
  pollMs?: string;
  rescanMs?: string;
  mergeWindowMs?: string;
  commitMs?: string;
  logLevel?: string;
  shared?: boolean;
  reader?: string;
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('the live daemon: tails log files (sidecar), follows pod logs through the Kubernetes API (watcher) or reads CRI files on the node')
    .option('--config <file>', 'configuration file (YAML); the flags below override it')
    .option('--file <path|glob>', 'log file or glob to tail; repeat for several (replaces sources.files)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--db <path|url>', `SQLite database file, or postgres://user@host:port/database (default: ${DEFAULT_DB_HELP})`)
    .option('--listen <host:port>', 'address of /healthz, /readyz, /metrics and the console (server.listen; default: 127.0.0.1:9464)')
    .option('--json', 'print each alert as one JSON line on stdout')
    .option('--rules <dir>', 'rules directory (detect.rulesDir)')
    .option('--tz <zone>', 'time zone the logs were written in (parse.timeZone)')
    .option('--k8s', 'follow pod logs through the Kubernetes API (sources.kubernetes)')
    .option('--namespace <ns>', "OpenUnison's namespace, for --k8s and --node-dir (default: openunison)")
    .option('--selector <labels>', 'label selector of the pods, for --k8s (default: application=openunison-orchestra)')
    .option('--container <name>', 'container to read, for --k8s and --node-dir (default: openunison-orchestra)')
    .option('--context <name>', 'kubeconfig context, for --k8s')
    .option('--idle-reconnect-seconds <n>', 'reopen a pod log stream silent this long, for --k8s (default: 300)')
    .option('--node-dir <dir>', "read the kubelet's CRI log files under this directory (sources.node; usually /var/log/pods)")
    .option('--pod <glob>', 'pod name pattern, for --node-dir (default: openunison-orchestra-*)')
    .option('--max-line-bytes <n>', 'longer lines are counted as oversized and skipped (parse.maxLineBytes)')
    .option('--start-at <where>', 'beginning|end: where an input without a checkpoint starts (sources.startAt)')
    .option('--poll-ms <n>', 'how often tailed files are checked (sources.pollIntervalMs)')
    .option('--rescan-ms <n>', 'how often globs are expanded again (sources.rescanIntervalMs)')
    .option('--merge-window-ms <n>', 'longest wait for a quiet input when merging by time (sources.mergeWindowMs)')
    .option('--commit-ms <n>', 'commit interval while lines arrive (sources.commitIntervalMs)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace (server.logLevel)')
    .option('--shared', 'PostgreSQL, a sidecar per replica: stage what this reader reads; the writer lease holder detects over every reader (sources.shared)')
    .option('--reader <name>', "this reader's name in a shared database (sources.reader; default: the host name)")
    // The daemon (pino, prom-client, the sources) is loaded when it runs, not for `ouwatch --help`.
    .action(async (flags: RunFlags) => (await import('./run-daemon.js')).runCommand(flags));
}

