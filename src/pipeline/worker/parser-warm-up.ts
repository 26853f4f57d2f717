import type { AddressDescriber } from '../../components/enrich/address-info.js';
import { BlockPool } from './block-pool.js';
import { InputParser } from './input-parser.js';
import { WorkerTables } from './tables.js';

/**
 * A few lines of every kind the parser meets at once in a real log: events of each type with
 * private, public IPv4 and IPv6 addresses, a non-event line, a stack trace.
 */
const SAMPLE = [
  '[2026-03-03 06:03:00,000][XNIO-1 task-11] INFO  AccessLog - [AuSuccess] - k8sIdp - https://k8sou.example.com/auth/idp/k8sIdp/auth - uid=warm.up,ou=users,o=Tremolo - 20 / oauth2k8s [89.160.20.112] - [fce8282503fffbdc858a9454ca25c5a7acdc47813]',
  '[2026-03-03 06:03:01,000][XNIO-1 task-2] INFO  AccessLog - [AzSuccess] - k8s-api - https://k8sou.example.com/api/v1/namespaces/default/pods - uid=warm.up,ou=users,o=Tremolo - k8s-api [10.42.0.228] - [fce8282503fffbdc858a9454ca25c5a7acdc47813]',
  '[2026-03-03 06:03:02,000][XNIO-1 task-9] INFO  AccessLog - [AzFail] - k8s-api - https://k8sou.example.com/api/v1/namespaces/kube-system/secrets - uid=warm.up,ou=users,o=Tremolo - NONE [2a02:26f0:fe::20b] - [fce8282503fffbdc858a9454ca25c5a7acdc47813]',
  '[2026-03-03 06:03:03,000][XNIO-1 task-21] INFO  AccessLog - [AuFail] - k8sIdp - https://k8sou.example.com/auth/idp/k8sIdp/auth - cn=none - oauth2k8s [216.160.83.218] - [null]',
  '[2026-03-03 06:03:04,736][XNIO-1 task-13] INFO  OpenIDConnectIdP - [ExpiredRefreshTokenUsed] - https://k8sou.example.com/auth/idp/k8sIdp/token - uid=warm.up,ou=users,o=Tremolo - Expired token used within grace period [89.160.20.112] - [fce8282503fffbdc858a9454ca25c5a7acdc47813]',
  '[2026-03-03 06:03:05,168][XNIO-1 task-2] INFO  AccessLog - [NotFound] - UNKNOWN - https://k8sou.example.com/favicon.ico - uid=Anonymous,o=Tremolo - Resource Not Found [216.160.83.65] - [null]',
  '[2026-03-03 06:03:06,372][XNIO-1 task-16] INFO  ConfigSys - Checking for updates to trusts',
  '[2026-03-03 06:03:07,000][XNIO-1 task-4] ERROR OpenIDConnectAuthMech - Could not load token',
  'java.io.IOException: Bad Request',
  '\tat com.tremolosecurity.proxy.auth.OpenIDConnectAuthMech.doGet(OpenIDConnectAuthMech.java:271)',
  '',
].join('\n');

/** Rounds of the sample: enough for V8 to have compiled what every line goes through. */
const ROUNDS = 4;
/** Room for the sample's few values (a run's tables hold tens of thousands). */
const CAPACITY = { dns: 64, ips: 64, sessions: 64, threads: 64 };

/**
 * Parses a built-in sample with tables, blocks and an input of its own, all thrown away:
 * the first chunk of a replay otherwise pays for compiling the parser's functions (a short
 * replay waited for it). Run by a thread started ahead of need while it has nothing else to
 * do; nothing it touches outlives it except V8's compiled code and the address tables'
 * pages it read (a run's own tables start empty when the thread is configured).
 */
export function warmUpParser(describer: AddressDescriber, timeZone: string, maxLineBytes: number): WarmUpCount {
  const tables = new WorkerTables(describer, CAPACITY);
  const parser = new InputParser({ input: 0, startOffset: 0, startLineNo: 0, timeZone, maxLineBytes, format: null }, tables, new BlockPool());
  const bytes = Buffer.from(SAMPLE);
  const count: WarmUpCount = { lines: 0, events: 0, skippedBytes: 0 };
  for (let round = 0; round <= ROUNDS; round++) {
    const batch = round < ROUNDS ? parser.chunk(bytes) : parser.end();
    count.lines += batch.lines;
    count.events += batch.count;
    count.skippedBytes += batch.skippedBytes;
  }
  return count;
}

/** What the warm-up parsed (a test checks that every line of the sample is still understood). */
export interface WarmUpCount {
  lines: number;
  events: number;
  skippedBytes: number;
}
