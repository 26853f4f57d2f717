import { userInfo } from 'node:os';
import { Option, type Command } from 'commander';
import { resolveConfig, type Config } from '../app/config.js';
import { LIST_DEFAULTS, type ListQuery } from '../app/review/query.js';

/**
 * The flags every command shares, defined once: where the store is, and the listing
 * vocabulary. The configuration file and `--db` are resolved by app/config (resolveConfig).
 */

export const DEFAULT_DB = './ouwatch.db';
export const DEFAULT_DB_HELP = `store.path or store.url of --config, else ${DEFAULT_DB}`;

export interface StoreFlags {
  db?: string;
  config?: string;
}

/** `--db` and `--config`, the same on every command. */
export function storeOptions(cmd: Command): Command {
  return cmd.option('--db <path|url>', `SQLite database file, or postgres://user@host:port/database (default: ${DEFAULT_DB_HELP})`).option('--config <file>', 'configuration file (YAML)');
}

/** The configuration with `--db` applied: the one way every command finds its store. */
export function configOf(flags: StoreFlags): Config {
  return resolveConfig(flags);
}

/** The listing vocabulary (the same as the console API's), as flags. */
export interface ListFlags extends StoreFlags, Omit<ListQuery, 'sort'> {
  json?: boolean;
  csv?: boolean;
}

/** The listing vocabulary; `only` leaves out filters that do not apply to a listing. */
export function listOptions(cmd: Command, statuses: string, defaultStatus: string, only: { severity?: boolean; rule?: boolean; ip?: boolean } = {}): Command {
  const { severity = true, rule = true, ip = true } = only;
  storeOptions(cmd);
  cmd.option('--status <list>', `${statuses} (comma-separated) or all (default: ${defaultStatus})`);
  if (severity) cmd.option('--severity <list>', 'low, medium, high, critical (comma-separated, any case) or LEVEL+ for that level and above');
  if (rule) cmd.option('--rule <ids>', 'rule ids (comma-separated)');
  cmd.option('--dn <dn>', 'this DN (any case; * matches any text)');
  if (ip) cmd.option('--ip <addr>', 'an address or a CIDR block');
  cmd
    .option('--since <when>', 'from this log time: ISO 8601 (2026-03-02, 2026-03-02T10:00Z, UTC unless a zone is given) or back from now (90m, 24h, 7d)')
    .option('--until <when>', 'up to this log time (same forms as --since)')
    .option('--limit <n>', `at most this many, or all (default: ${LIST_DEFAULTS.limit})`)
    .option('--offset <n>', 'skip this many first (the next page; default: 0)');
  return outputOptions(cmd, true);
}

/** `--json` (and `--csv` for listings): the same two flags wherever a result can be printed. */
export function outputOptions(cmd: Command, csv: boolean): Command {
  if (!csv) return cmd.option('--json', 'print JSON (one object; NDJSON for listings)');
  return cmd.option('--json', 'one JSON object per line (NDJSON)').addOption(new Option('--csv', 'CSV with a header row (RFC 4180)').conflicts('json'));
}

/** `--by`, for changes recorded with who made them. */
export function byOption(cmd: Command): Command {
  return cmd.option('--by <name>', 'who is acting, for the record (default: $USER)');
}

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
