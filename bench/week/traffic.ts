import { AUTH_URL, DASHBOARD, HOST, TOKEN_URL, type WeekLog, type Worker } from './log.js';
import type { Person } from './people.js';
import { Rng } from './random.js';
import type { Block } from './schedule.js';
import { MINUTE } from './whereabouts.js';

/**
 * What a person's kubectl, k9s and browser make OpenUnison log. The id_token lives a minute,
 * so a command more than a minute after the last refresh first refreshes it at /token; the
 * refresh token lives 15 minutes, so after a longer pause the refresh fails (`Session does
 * not exist from refresh_token` once OpenUnison's job has deleted the expired session,
 * `Session expired` in the minute before) and the person logs in again. Several tools on one
 * kubeconfig now and then race for the same refresh token: within the grace period OpenUnison
 * answers the loser with the old session and logs ExpiredRefreshTokenUsed after the request's
 * AzSuccess; after it, the loser's refresh fails (`Session does not exist from refresh_token`)
 * and it must log in again.
 */

const ID_TOKEN_MS = 60_000;
const REFRESH_TOKEN_MS = 15 * MINUTE;
const GRACE_MS = 5_000;
const RACE_WITHIN_GRACE = 0.01;
const RACE_AFTER_GRACE = 0.0002;
/** Per day of a multi-tool person: k9s, a script and kubectl all refreshing at once for minutes. */
const RACE_STORM = 0.01;
/** kubectl tries yesterday's/this morning's token before the person logs in again. */
const EXPIRED_REFRESH_TRIED = 0.6;
const TYPO_AT_LOGIN = 0.004;
const FORBIDDEN = 0.004;
/** Per person-day: a script looping on a request it may not make. */
const FORBIDDEN_LOOP = 0.002;
const DASHBOARD_VISIT = 0.06;
const K9S_OPEN = 0.6;

/**
 * What OpenUnison answers a refresh of a session that expired at its idle timeout: its
 * clear-sessions job (every minute, at second 0, in its Helm charts) deletes expired sessions,
 * so after the first minute boundary the session no longer exists.
 */
function expiredRefreshWarning(lastRefresh: number, t: number): string {
  const deletedAt = Math.ceil((lastRefresh + REFRESH_TOKEN_MS) / MINUTE) * MINUTE;
  return t < deletedAt ? 'Session expired' : 'Session does not exist from refresh_token';
}

const NAMESPACES = ['payments', 'orders', 'search', 'checkout', 'inventory', 'shipping', 'platform', 'monitoring', 'default', 'ingress-nginx'];
const API_URLS = NAMESPACES.flatMap((ns) => [
  `${HOST}/api/v1/namespaces/${ns}/pods`,
  `${HOST}/api/v1/namespaces/${ns}/pods`,
  `${HOST}/api/v1/namespaces/${ns}/events`,
  `${HOST}/api/v1/namespaces/${ns}/services`,
  `${HOST}/api/v1/namespaces/${ns}/configmaps`,
  `${HOST}/apis/apps/v1/namespaces/${ns}/deployments`,
  `${HOST}/apis/apps/v1/namespaces/${ns}/replicasets`,
  `${HOST}/apis/batch/v1/namespaces/${ns}/jobs`,
  `${HOST}/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`,
]);
const FORBIDDEN_URLS = [`${HOST}/api/v1/namespaces/kube-system/secrets`, `${HOST}/api/v1/nodes`, ...NAMESPACES.map((ns) => `${HOST}/api/v1/namespaces/${ns}/secrets`)];
const DASHBOARD_URLS = [
  `${DASHBOARD}/api/v1/namespace`, `${DASHBOARD}/api/v1/login/status`, `${DASHBOARD}/api/v1/csrftoken/login`,
  ...NAMESPACES.flatMap((ns) => [`${DASHBOARD}/api/v1/pod/${ns}`, `${DASHBOARD}/api/v1/deployment/${ns}`]),
];

/** One person's state across the week (sessions outlive a day's blocks only within 15 minutes). */
interface ClientState {
  session: string | null;
  lastRefresh: number;
  idTokenAt: number;
  /** Set when a lost race left the kubeconfig without a session: next use logs in quietly. */
  lost: boolean;
}

/** A refresh the person's own client made (attacks replay right after one of them). */
export interface Refresh {
  t: number;
  ip: string;
  session: string;
  worker: Worker;
}

export class Traffic {
  private readonly clients = new Map<number, ClientState>();
  readonly activeDays = new Map<number, Set<number>>();
  readonly refreshes = new Map<number, Refresh[]>();
  /** Each person's addresses with the instant each was first used. */
  readonly firstUse = new Map<number, Map<string, number>>();

  constructor(
    private readonly log: WeekLog,
    private readonly seed: number,
    private readonly density: number,
    /** People whose refreshes are kept (attack victims). */
    private readonly watched: Set<number>,
    /** OpenUnison's grace period is on (GRACE_MS); off, its default, a race's loser is refused at once. */
    private readonly grace = true,
  ) {}

  day(p: Person, d: number, blocks: Block[]): void {
    if (blocks.length === 0) return;
    const rng = Rng.of(this.seed, `traffic-${p.index}-${d}`);
    (this.activeDays.get(p.index) ?? this.activeDays.set(p.index, new Set()).get(p.index)!).add(d);
    const stormDay = p.multiTool && rng.chance(RACE_STORM);
    const loopDay = rng.chance(FORBIDDEN_LOOP);
    const acts: { t: number; ip: string; poll: boolean }[] = [];
    for (const b of blocks) {
      const k9s = p.poller && !b.intense && rng.chance(K9S_OPEN);
      for (const s of b.stints) {
        for (const t of commandTimes(rng, s.from, s.to, b.intense ? 120 : p.commandsPerHour * this.density, b.intense)) acts.push({ t, ip: s.ip, poll: false });
        if (k9s) for (let t = s.from + rng.int(1, 9_999); t < s.to; t += rng.int(5_000, 15_000) / this.density) acts.push({ t, ip: s.ip, poll: true });
      }
    }
    if (acts.length === 0) return;
    acts.sort((a, b) => a.t - b.t);
    const storm = stormDay ? rng.pick(acts).t : -1;
    if (storm >= 0) {
      // k9s, a script and kubectl on one kubeconfig: each refreshes as its token expires.
      const ip = acts.find((a) => a.t === storm)!.ip;
      for (let t = storm + 15_000; t < storm + 8 * MINUTE; t += rng.int(15_000, 30_000)) acts.push({ t, ip, poll: true });
      acts.sort((a, b) => a.t - b.t);
    }
    let loop = loopDay ? rng.pick(acts).t : -1;
    for (const a of acts) {
      this.act(rng, p, a.t, a.ip, a.poll, a.t >= storm && a.t < storm + 8 * MINUTE);
      if (loop >= 0 && a.t >= loop) {
        this.forbiddenLoop(rng, p, a.t, a.ip);
        loop = -1;
      }
    }
  }

  private client(p: Person): ClientState {
    let c = this.clients.get(p.index);
    if (!c) this.clients.set(p.index, (c = { session: null, lastRefresh: 0, idTokenAt: 0, lost: false }));
    return c;
  }

  private group(p: Person): string {
    return p.admin ? 'k8s-cluster-administrators' : 'k8s-namespace-users';
  }

  private act(rng: Rng, p: Person, t: number, ip: string, poll: boolean, storm: boolean): void {
    const c = this.client(p);
    const log = this.log;
    const used = this.firstUse.get(p.index) ?? this.firstUse.set(p.index, new Map()).get(p.index)!;
    if (!used.has(ip)) used.set(ip, t);
    if (c.session === null || c.lost || t - c.lastRefresh > REFRESH_TOKEN_MS) {
      if (c.session !== null && !c.lost && rng.chance(EXPIRED_REFRESH_TRIED)) {
        log.failedRefresh(t, log.worker(rng), expiredRefreshWarning(c.lastRefresh, t), ip, rng.int(1, 6));
        t += rng.int(15, 90) * 1000;
      }
      t = this.login(rng, p, t, ip);
    }
    if (t - c.idTokenAt >= ID_TOKEN_MS) {
      const w = log.worker(rng);
      log.access(t, w, 'AzSuccess', 'k8sIdp', TOKEN_URL, p.dn, this.group(p), ip, c.session!);
      if (this.watched.has(p.index)) (this.refreshes.get(p.index) ?? this.refreshes.set(p.index, []).get(p.index)!).push({ t, ip, session: c.session!, worker: w });
      c.lastRefresh = c.idTokenAt = t;
      if (p.multiTool && rng.chance(storm ? 0.9 : RACE_WITHIN_GRACE)) {
        const w2 = log.worker(rng);
        const t2 = t + rng.int(40, GRACE_MS - 2_000);
        if (!this.grace) log.failedRefresh(t2, w2, 'Session does not exist from refresh_token', ip, rng.int(1, 6));
        else {
          log.access(t2, w2, 'AzSuccess', 'k8sIdp', TOKEN_URL, p.dn, this.group(p), ip, c.session!);
          log.expiredRefresh(t2 + rng.int(0, 3), w2, p.dn, ip, c.session!);
        }
      } else if (p.multiTool && rng.chance(RACE_AFTER_GRACE)) {
        log.failedRefresh(t + rng.int(GRACE_MS + 1_000, 45_000), log.worker(rng), 'Session does not exist from refresh_token', ip, rng.int(1, 6));
        c.lost = true;
      }
      t += rng.int(30, 400);
    }
    const calls = poll ? 1 : rng.int(1, 3);
    for (let i = 0; i < calls; i++) {
      t += rng.int(80, 2_500);
      if (!poll && rng.chance(FORBIDDEN)) log.access(t, log.worker(rng), 'AzFail', 'k8s-api', rng.pick(FORBIDDEN_URLS), p.dn, 'NONE', ip, c.session!);
      else log.access(t, log.worker(rng), 'AzSuccess', 'k8s-api', rng.pick(API_URLS), p.dn, this.group(p), ip, c.session!);
    }
    if (!poll && rng.chance(DASHBOARD_VISIT)) {
      for (let i = rng.int(2, 5); i > 0; i--) {
        t += rng.int(150, 4_000);
        log.access(t, log.worker(rng), 'AzSuccess', 'dashboard', rng.pick(DASHBOARD_URLS), p.dn, 'oauth2bearer', ip, c.session!);
      }
    }
  }

  /** A browser login through the portal: MyVD looks the person up, then AuSuccess and AzSuccess. */
  login(rng: Rng, p: Person, t: number, ip: string): number {
    const c = this.client(p);
    const log = this.log;
    const w = log.worker(rng);
    if (rng.chance(TYPO_AT_LOGIN)) {
      for (let k = rng.chance(0.25) ? 2 : 1; k > 0; k--) log.access(t - rng.int(8, 40) * 1000, w, 'AuFail', 'k8sIdp', AUTH_URL, 'cn=none', 'oauth2k8s', ip, rng.sessionId());
    }
    const op = rng.int(10, 9_999);
    const uid = p.dn.slice(p.dn.indexOf('=') + 1).split(/\\,|,| - /)[0];
    log.other(t - rng.int(30, 90), w, 'INFO', 'AccessLog', `SRCH op=${op} con=${op - 1} base='o=Tremolo' filter='(uid=${uid})' attrs='[uid, mail, memberOf]'`);
    log.other(t - rng.int(5, 25), w, 'INFO', 'AccessLog', `RESULT op=${op} con=${op - 1} result=0 time=${rng.int(1, 12)}`);
    c.session = rng.sessionId();
    c.lost = false;
    log.access(t, w, 'AuSuccess', 'k8sIdp', AUTH_URL, p.dn, '20 / oauth2k8s', ip, c.session);
    t += rng.int(150, 900);
    log.access(t, w, 'AzSuccess', 'k8sIdp', AUTH_URL, p.dn, this.group(p), ip, c.session);
    if (rng.chance(0.02)) log.access(t + rng.int(50, 400), log.worker(rng), 'NotFound', 'UNKNOWN', `${HOST}/favicon.ico`, 'uid=Anonymous,o=Tremolo', 'Resource Not Found', ip, 'null');
    c.lastRefresh = c.idTokenAt = t;
    return t + rng.int(1_000, 8_000);
  }

  /** A script retrying a request the person may not make: a dozen AzFail in a few minutes. */
  private forbiddenLoop(rng: Rng, p: Person, t: number, ip: string): void {
    const url = rng.pick(FORBIDDEN_URLS);
    const c = this.client(p);
    for (let i = rng.int(10, 16); i > 0; i--) {
      t += rng.int(8_000, 20_000);
      this.log.access(t, this.log.worker(rng), 'AzFail', 'k8s-api', url, p.dn, 'NONE', ip, c.session ?? 'null');
    }
  }
}

/** Command times in [from, to): busy spells of work at `perHour`, idle spells between (none when intense). */
function commandTimes(rng: Rng, from: number, to: number, perHour: number, intense: boolean): number[] {
  const out: number[] = [];
  const gap = 3_600_000 / perHour;
  let t = from + rng.int(0, 30_000);
  while (t < to) {
    const busyUntil = intense ? to : Math.min(to, t + rng.exp(25 * MINUTE));
    for (; t < busyUntil; t += intense ? rng.int(20_000, 45_000) : Math.max(2_000, rng.exp(gap))) out.push(t);
    if (!intense) t += rng.exp(18 * MINUTE);
  }
  return out;
}
