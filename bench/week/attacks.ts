import { AUTH_URL, DASHBOARD, HOST, TOKEN_URL, type WeekLog, type WrittenLine } from './log.js';
import type { Isp, IspKey } from './networks.js';
import type { Person } from './people.js';
import { Rng } from './random.js';
import type { Quiet, Requirement } from './schedule.js';
import type { Refresh, Traffic } from './traffic.js';
import type { AttackKind, AttackTruth } from './truth.js';
import { MINUTE, type Via } from './whereabouts.js';

/**
 * The attacks planted in the week. Each is planned before the traffic (its victim must be at
 * work, at a given place, at that time) and written after the victim's day, because a replay
 * follows one of the victim's own refreshes within OpenUnison's grace period.
 */

export interface AttackContext {
  log: WeekLog;
  traffic: Traffic;
  /** Local clock time `h` on day `d` as a UTC instant. */
  at: (d: number, h: number) => number;
}

interface Spec {
  id: string;
  kind: AttackKind;
  day: number;
  summary: string;
  expect: { today: string[]; v2: string[] };
  victim: Person | null;
  /** Whether the attacker acts under the victim's DN (else the lines carry `cn=none`). */
  actsAsVictim: boolean;
  related?: string;
  write: (ctx: AttackContext, rng: Rng, out: WrittenLine[]) => void;
}

export class AttackPlan {
  readonly requirements: Requirement[] = [];
  readonly quiets: Quiet[] = [];
  readonly watched = new Set<number>();
  private readonly specs: Spec[] = [];
  private readonly used = new Set<number>();

  constructor(
    private readonly seed: number,
    private readonly people: Person[],
    private readonly nets: Record<IspKey, Isp>,
    private readonly days: number,
    private readonly at: (d: number, h: number) => number,
  ) {
    this.plan();
  }

  /** A victim not used by another attack, by preference among those `fits` accepts. */
  private victim(fits: (p: Person) => boolean): Person {
    const free = this.people.filter((p) => !this.used.has(p.index) && p.trip === null);
    const p = free.find(fits) ?? free.find((q) => q.country === 'DE') ?? free[0];
    if (!p) throw new Error('not enough people for the attacks: use --users 20 or more');
    this.used.add(p.index);
    return p;
  }

  private need(p: Person, d: number, via: Via, from: number, to: number): void {
    this.requirements.push({ person: p.index, from: this.at(d, from), to: this.at(d, to), via });
    this.watched.add(p.index);
  }

  private add(spec: Spec): void {
    if (spec.day < this.days) this.specs.push(spec);
  }

  private plan(): void {
    const rng = Rng.of(this.seed, 'attacks');
    const atOffice = (p: Person) => (p.profile === 'office' || p.profile === 'hybrid') && p.country === 'DE';
    const addr = (isp: IspKey, role: string) => this.nets[isp].addr4(rng, role);

    const v1 = this.victim(atOffice);
    this.need(v1, 1, 'office', 9.5, 11.75);
    const brazil = addr('vivo-br', 'attacker');
    this.add({
      id: 'A1', kind: 'refresh-token-replay-new-country', day: 1, victim: v1, actsAsVictim: true,
      summary: "A copy of an office worker's refresh token is replayed from Brazil, right after the victim's own refreshes, within the grace period.",
      expect: { today: ['refresh-token-replay', 'new-source-ip', 'new-country', 'impossible-travel'], v2: ['refresh-token-replay', 'new-source-ip', 'new-country', 'impossible-travel'] },
      write: (ctx, r, out) => replay(ctx, r, out, v1, brazil, ctx.at(1, 10.6), ctx.at(1, 11.2), 3),
    });

    const v2 = this.victim((p) => p.home.ipv6 && p.country === 'DE' && (p.profile === 'remote' || p.profile === 'hybrid'));
    v2.home.ipv6 = true; // the fallback victim (tiny populations) gets an IPv6 line too
    this.need(v2, 3, 'home', 13, 15.5);
    const v6 = this.nets['hetzner-de'].addr6(rng, 'attacker', this.nets['hetzner-de'].prefix64(rng));
    this.add({
      id: 'A2', kind: 'refresh-token-replay-ipv6', day: 3, victim: v2, actsAsVictim: true,
      summary: "A home worker's refresh token is replayed over IPv6 from a server in a German data centre (same country, another network).",
      expect: { today: ['refresh-token-replay', 'new-source-ip'], v2: ['refresh-token-replay', 'new-source-ip'] },
      write: (ctx, r, out) => replay(ctx, r, out, v2, v6, ctx.at(3, 14), ctx.at(3, 14.6), 2),
    });

    const v3 = this.victim((p) => p.admin);
    const leaseweb = addr('leaseweb-nl', 'attacker');
    this.add({
      id: 'A3', kind: 'stale-refresh-token', day: 3, victim: v3, actsAsVictim: false,
      summary: 'A refresh token from an old, stolen kubeconfig is tried from a Dutch server after its grace period: the IdP no longer knows it.',
      expect: { today: ['stale-refresh-token'], v2: ['stale-refresh-token'] },
      write: (ctx, r, out) => failedRefreshes(ctx, r, out, 3, [16.08, 16.15, 16.24], 'Session does not exist from refresh_token', leaseweb),
    });

    const sprayer = addr('chinanet-cn', 'attacker');
    this.add({
      id: 'A4', kind: 'password-spray-one-address', day: 1, victim: null, actsAsVictim: false,
      summary: 'A password spray from one address at night: 60 failed logins in 25 minutes.',
      expect: { today: ['auth-failure-burst'], v2: ['auth-failure-burst'] },
      write: (ctx, r, out) => {
        for (let i = 0, t = ctx.at(1, 4.2); i < 60; i++, t += r.int(15_000, 35_000)) out.push(auFail(ctx, r, t, sprayer));
      },
    });

    const net = this.nets['digitalocean-us'];
    const block = net.block24(rng);
    const spread = new Set<string>();
    while (spread.size < 20) spread.add(net.addr4(rng, 'attacker', block));
    this.add({
      id: 'A5', kind: 'password-spray-across-a-24', day: 2, victim: null, actsAsVictim: false,
      summary: '100 failed logins in one hour from 20 addresses of one /24, five per address: no address alone looks like a burst.',
      expect: { today: [], v2: ['auth-failure-burst'] },
      write: (ctx, r, out) => {
        const from = ctx.at(2, 14);
        for (const ip of spread) for (let k = 0; k < 5; k++) out.push(auFail(ctx, r, from + r.int(0, 60 * MINUTE - 1), ip));
      },
    });

    const v6p = this.victim(atOffice);
    this.need(v6p, 2, 'office', 15.5, 17.5);
    this.add({
      id: 'A6', kind: 'authorization-probing', day: 2, victim: v6p, actsAsVictim: true,
      summary: "Someone at a developer's unlocked laptop (the developer's own address and session) probes for secrets: 25 denied requests in six minutes.",
      expect: { today: ['authz-failure-burst'], v2: ['authz-failure-burst', 'authz-probing'] },
      write: (ctx, r, out) => probe(ctx, r, out, v6p, ctx.at(2, 16.3)),
    });

    const v7 = this.victim(atOffice);
    this.need(v7, 3, 'office', 10, 12.5);
    const usa = addr('comcast-us', 'attacker');
    this.add({
      id: 'A7', kind: 'impossible-travel', day: 3, victim: v7, actsAsVictim: true,
      summary: 'A phished password is used from the United States minutes after the victim worked from the Hamburg office; the intruder works for 20 minutes.',
      expect: { today: ['impossible-travel', 'new-country', 'new-source-ip'], v2: ['impossible-travel', 'new-country', 'new-source-ip'] },
      write: (ctx, r, out) => session(ctx, r, out, v7, usa, ctx.at(3, 11.6), 20),
    });

    const v8 = this.victim((p) => p.country === 'DE' && (p.profile === 'remote' || p.profile === 'hybrid') && !p.home.ipv6);
    this.need(v8, 4, 'home', 9, 11.5);
    const proxyIsp = (['versatel-de', 'vodafone-de', 'o2-de', 'telekom-de'] as const).find((k) => k !== v8.home.isp)!;
    const proxy = addr(proxyIsp, 'attacker');
    this.add({
      id: 'A8', kind: 'stolen-session-beside-owner', day: 4, victim: v8, actsAsVictim: true,
      summary: "A stolen session cookie is used on the dashboard through a German residential proxy while its owner works from home with the same session.",
      expect: { today: ['new-source-ip'], v2: ['session-moved', 'new-source-ip'] },
      write: (ctx, r, out) => besideOwner(ctx, r, out, v8, proxy, ctx.at(4, 10.25)),
    });

    const v9 = this.victim(atOffice);
    this.need(v9, 2, 'office', 9.5, 11.5);
    this.need(v9, 4, 'office', 9, 11);
    this.quiets.push({ person: v9.index, from: this.at(4, 16.5), to: this.at(7, 0) });
    const romania = addr('digi-ro', 'attacker');
    this.add({
      id: 'A9', kind: 'thief-first-visit', day: 2, victim: v9, actsAsVictim: true, related: 'A10',
      summary: "A thief replays an office worker's refresh token from Romania on Wednesday morning.",
      expect: { today: ['refresh-token-replay', 'new-source-ip', 'new-country', 'impossible-travel'], v2: ['refresh-token-replay', 'new-source-ip', 'new-country', 'impossible-travel'] },
      write: (ctx, r, out) => replay(ctx, r, out, v9, romania, ctx.at(2, 10.6), ctx.at(2, 11.1), 3),
    });
    this.add({
      id: 'A10', kind: 'returning-thief', day: 4, victim: v9, actsAsVictim: true, related: 'A9',
      summary: 'The same thief comes back on Friday evening from the same address, with the phished password, hours after the victim stopped working.',
      expect: { today: [], v2: ['new-source-ip', 'new-country'] },
      write: (ctx, r, out) => session(ctx, r, out, v9, romania, ctx.at(4, 21.2), 40),
    });

    // Drawn after every earlier attack's, so that those stay as they were.
    const v11 = this.victim(atOffice);
    this.need(v11, 3, 'office', 8.5, 10);
    const guesser = addr('vivo-br', 'attacker');
    this.add({
      id: 'A11', kind: 'password-guessed', day: 3, victim: v11, actsAsVictim: true,
      summary: "Fourteen passwords tried from one Brazilian address in four minutes, then a login with an office worker's password from it and 15 minutes of kubectl.",
      expect: { today: ['auth-failure-burst', 'auth-success-after-failures'], v2: ['auth-failure-burst', 'auth-success-after-failures', 'new-country'] },
      write: (ctx, r, out) => {
        let t = ctx.at(3, 12.4);
        for (let i = 0; i < 14; i++, t += r.int(10_000, 20_000)) out.push(auFail(ctx, r, t, guesser));
        session(ctx, r, out, v11, guesser, t + r.int(5_000, 30_000), 15);
      },
    });

    const ovh = addr('leaseweb-nl', 'attacker');
    this.add({
      id: 'A12', kind: 'wrong-client-secret', day: 4, victim: null, actsAsVictim: false,
      summary: "A user's live refresh token, lifted from a confidential client's storage, is tried from a Dutch server without the client's secret: OpenUnison logs 'Invalid client_secret'.",
      expect: { today: ['invalid-client-secret'], v2: ['invalid-client-secret'] },
      write: (ctx, r, out) => failedRefreshes(ctx, r, out, 4, [15.1, 15.12, 15.3], 'Invalid client_secret', ovh),
    });

    // A botnet: 120 residential addresses abroad, each in a /24 of its own.
    const BOTNET_ISPS: IspKey[] = ['vivo-br', 'rostelecom-ru', 'turktelekom-tr', 'vnpt-vn', 'digi-ro', 'comcast-us', 'chinanet-cn', 'orange-pl', 'o2-cz', 'orange-fr', 'telefonica-es', 'swisscom-ch'];
    const bots = new Map<string, string>();
    for (let i = 0; bots.size < 120; i++) {
      const ip = addr(BOTNET_ISPS[i % BOTNET_ISPS.length], 'attacker');
      bots.set(ip.slice(0, ip.lastIndexOf('.')), ip);
    }
    this.add({
      id: 'A13', kind: 'password-spray-from-a-botnet', day: 5, victim: null, actsAsVictim: false,
      summary: 'A password spray from a botnet at night: 240 failed logins in eight minutes from 120 addresses in twelve countries, two per address, each in a network of its own.',
      expect: { today: [], v2: ['auth-failure-distributed-spray'] },
      write: (ctx, r, out) => {
        const from = ctx.at(5, 3.1);
        for (const ip of bots.values()) {
          const t = from + r.int(0, 5 * MINUTE);
          out.push(auFail(ctx, r, t, ip), auFail(ctx, r, t + r.int(MINUTE, 3 * MINUTE), ip));
        }
      },
    });
  }

  /** Writes the attacks of day `d` (after the day's ordinary traffic). */
  writeDay(d: number, ctx: AttackContext): AttackTruth[] {
    return this.specs
      .filter((s) => s.day === d)
      .map((s) => {
        const out: WrittenLine[] = [];
        s.write(ctx, Rng.of(this.seed, `attack-${s.id}`), out);
        const times = out.map((l) => l.ts);
        const ips = [...new Set(out.map((l) => ADDRESS.exec(l.text)?.[1]).filter((ip): ip is string => ip !== undefined))];
        return {
          id: s.id,
          kind: s.kind,
          summary: s.summary,
          dns: s.actsAsVictim && s.victim ? [s.victim.dn] : [],
          ips,
          victim: s.victim?.dn ?? null,
          start: new Date(Math.min(...times)).toISOString(),
          end: new Date(Math.max(...times)).toISOString(),
          expect: s.expect,
          related: s.related ?? null,
          lines: out,
        };
      });
  }
}

/** The client address of an access or IdP line: `… [ip] - [session]` at its end. */
const ADDRESS = / \[([^\]]+)\] - \[[^\]]+\]$/;

function auFail(ctx: AttackContext, r: Rng, t: number, ip: string): WrittenLine {
  return ctx.log.access(t, ctx.log.worker(r), 'AuFail', 'k8sIdp', AUTH_URL, 'cn=none', 'oauth2k8s', ip, r.sessionId());
}

/** A refresh refused with `warning` from `ip`, once in the minute after each of `hours` of day `d` (WARN, then AzFail at /token). */
function failedRefreshes(ctx: AttackContext, r: Rng, out: WrittenLine[], d: number, hours: number[], warning: string, ip: string): void {
  for (const h of hours) out.push(...ctx.log.failedRefresh(ctx.at(d, h) + r.int(0, 59_999), ctx.log.worker(r), warning, ip, r.int(1, 6)));
}

function refreshesOf(ctx: AttackContext, p: Person, from: number, to: number): Refresh[] {
  const found = (ctx.traffic.refreshes.get(p.index) ?? []).filter((x) => x.t >= from && x.t <= to);
  if (found.length === 0) throw new Error(`the victim ${p.dn} did not refresh between ${new Date(from).toISOString()} and ${new Date(to).toISOString()}`);
  return found;
}

/** The copy of a refresh token used right after the victim's own refresh, then the API with its id_token. */
function replay(ctx: AttackContext, r: Rng, out: WrittenLine[], p: Person, ip: string, from: number, to: number, times: number): void {
  const own = refreshesOf(ctx, p, from, to);
  const chosen: Refresh[] = [];
  for (const x of own) if (chosen.length < times && (chosen.length === 0 || x.t - chosen[chosen.length - 1].t >= 4 * MINUTE)) chosen.push(x);
  for (const x of chosen) {
    const w = ctx.log.worker(r);
    const t = x.t + r.int(300, 3_500);
    out.push(ctx.log.access(t, w, 'AzSuccess', 'k8sIdp', TOKEN_URL, p.dn, 'k8s-namespace-users', ip, x.session));
    out.push(ctx.log.expiredRefresh(t + r.int(0, 3), w, p.dn, ip, x.session));
    for (let k = r.int(2, 4), u = t; k > 0; k--) {
      u += r.int(2_000, 15_000);
      out.push(ctx.log.access(u, ctx.log.worker(r), 'AzSuccess', 'k8s-api', `${HOST}/api/v1/namespaces/${r.pick(['payments', 'platform', 'default'])}/${r.pick(['pods', 'configmaps', 'services'])}`, p.dn, 'k8s-namespace-users', ip, x.session));
    }
  }
}

/** A login with the victim's password from elsewhere, then `minutes` of kubectl use. */
function session(ctx: AttackContext, r: Rng, out: WrittenLine[], p: Person, ip: string, t: number, minutes: number): void {
  const sid = r.sessionId();
  const w = ctx.log.worker(r);
  out.push(ctx.log.access(t, w, 'AuSuccess', 'k8sIdp', AUTH_URL, p.dn, '20 / oauth2k8s', ip, sid));
  out.push(ctx.log.access(t + r.int(200, 800), w, 'AzSuccess', 'k8sIdp', AUTH_URL, p.dn, 'k8s-namespace-users', ip, sid));
  let last = t;
  for (let u = t + r.int(5_000, 20_000); u < t + minutes * MINUTE; u += r.int(15_000, 70_000)) {
    if (u - last >= 60_000) {
      out.push(ctx.log.access(u, ctx.log.worker(r), 'AzSuccess', 'k8sIdp', TOKEN_URL, p.dn, 'k8s-namespace-users', ip, sid));
      last = u;
    }
    out.push(ctx.log.access(u + r.int(100, 900), ctx.log.worker(r), 'AzSuccess', 'k8s-api', `${HOST}/api/v1/namespaces/${r.pick(['payments', 'orders', 'platform'])}/${r.pick(['pods', 'configmaps', 'services', 'serviceaccounts'])}`, p.dn, 'k8s-namespace-users', ip, sid));
  }
}

/** Denied requests for secrets across namespaces, from the victim's own address and session. */
function probe(ctx: AttackContext, r: Rng, out: WrittenLine[], p: Person, t: number): void {
  const mine = refreshesOf(ctx, p, t - 20 * MINUTE, t).at(-1)!;
  for (let i = 0; i < 25; i++) {
    t += r.int(8_000, 20_000);
    const ns = r.pick(['payments', 'orders', 'platform', 'kube-system', 'monitoring', 'openunison', 'argocd']);
    out.push(ctx.log.access(t, ctx.log.worker(r), 'AzFail', 'k8s-api', `${HOST}/api/v1/namespaces/${ns}/secrets`, p.dn, 'NONE', mine.ip, mine.session));
  }
}

/** The victim's session id on the dashboard from the attacker's address, while the victim works. */
function besideOwner(ctx: AttackContext, r: Rng, out: WrittenLine[], p: Person, ip: string, t: number): void {
  const mine = refreshesOf(ctx, p, t - 15 * MINUTE, t).at(-1)!;
  for (let i = 0; i < 16; i++) {
    t += r.int(20_000, 70_000);
    const url = r.pick([`${DASHBOARD}/api/v1/secret/payments`, `${DASHBOARD}/api/v1/pod/payments`, `${DASHBOARD}/api/v1/namespace`, `${DASHBOARD}/api/v1/configmap/platform`]);
    out.push(ctx.log.access(t, ctx.log.worker(r), 'AzSuccess', 'dashboard', url, p.dn, 'oauth2bearer', ip, mine.session));
  }
}
