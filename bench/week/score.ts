import { BlockList } from 'node:net';
import type { AttackTruth, Truth } from './truth.js';

/**
 * Scores ouwatch's alerts (and incidents, when the product has them) against the week's
 * ground truth. Matching, by design independent of how detection works:
 * - an alert with a DN belongs to an attack when the DN is one the attacker acted as, and its
 *   time lies in the attack's window widened by the slack below;
 * - an alert without a DN (address-keyed rules) belongs to an attack when its address is one
 *   of the attacker's addresses, in the same widened window; behind an ingress (`--ingress`)
 *   the lines carry its pods' addresses, so one naming a pod belongs to an attack made
 *   without a DN (a spray) in that window;
 * - every other alert is benign;
 * - an incident belongs to an attack when one of its alerts does; every other incident is benign.
 */

/** Before the first attack line: replica 1's clock runs a few seconds ahead. */
export const SLACK_BEFORE_MS = 2 * 60_000;
/** After the last attack line: bursts and repeats may be raised a little later. */
export const SLACK_AFTER_MS = 10 * 60_000;
export const TARGET_BENIGN_INCIDENTS_PER_1000 = 10;

export interface AlertRecord {
  id: string;
  rule: string;
  severity: string;
  time: string;
  dn: string | null;
  ip: string | null;
}

export interface IncidentRecord {
  id: string;
  status: string;
  severity: string;
  risk: number;
  dn: string | null;
  ip: string | null;
  firstTime: string;
  lastTime: string;
  rules: string[];
  alertIds: string[];
}

export interface RuleFigures {
  rule: string;
  alerts: number;
  attackAlerts: number;
  benignAlerts: number;
  benignAlertsPer1000: number;
  /** Null while the product has no incidents. */
  incidents: number | null;
  benignIncidents: number | null;
  benignIncidentsPer1000: number | null;
}

export interface AttackResult {
  id: string;
  kind: string;
  summary: string;
  caught: boolean;
  rules: string[];
  alertIds: string[];
  expectedToday: string[];
  expectedV2: string[];
  /** Rules today's set is expected to raise for it that did not. */
  missingExpectedToday: string[];
  inIncident: boolean | null;
  incidentIds: string[];
}

export interface Report {
  userDays: number;
  rules: RuleFigures[];
  totals: { alerts: number; attackAlerts: number; benignAlerts: number; benignAlertsPer1000: number };
  benignBySeverity: Record<string, number>;
  /** Benign alerts per profile of the person they name (`-` for address-keyed alerts), per rule. */
  benignByProfile: Record<string, Record<string, number>>;
  /** Benign alerts per rule by the kind of address they name (office NAT, home, mobile, VPN egress…). */
  benignByAddress: Record<string, Record<string, number>>;
  /**
   * Benign alerts by what the address they name was to the person: `learning` (the first
   * address at a kind of place the person had not used before that week: office, home, mobile,
   * VPN, hotel), `churn` (another address at a kind of place already used: a renumbered line, a
   * new IPv6 privacy address, a mobile carrier's NAT; `churn (IPv6)` when the address is IPv6),
   * `first` (the person's first address of the week), `-` (alerts keyed on an address).
   */
  benignByCause: Record<string, Record<string, number>>;
  /** Benign alerts per day of the week (Monday first). */
  benignByDay: number[];
  incidents: { total: number; attack: number; benign: number; benignPer1000: number } | null;
  attacks: AttackResult[];
  verdict: {
    everyAttackCaught: boolean;
    everyAttackInIncident: boolean | null;
    benignIncidentsPer1000: number | null;
    target: number;
    met: boolean;
    notes: string[];
    /** Behind an ingress the address rules are blind (ouwatch warns): attacks are listed, only the benign incidents are judged. */
    attacksJudged: boolean;
  };
}

const per1000 = (n: number, userDays: number) => Math.round((n / userDays) * 1000 * 10) / 10;

function belongs(a: AlertRecord, attack: AttackTruth, ingressPods: readonly string[] | null): boolean {
  const t = Date.parse(a.time);
  if (t < Date.parse(attack.start) - SLACK_BEFORE_MS || t > Date.parse(attack.end) + SLACK_AFTER_MS) return false;
  if (a.dn !== null) return attack.dns.includes(a.dn);
  // An alert for the whole log (a botnet's spray) names no one: it belongs to an attack that acts as no user, in its window.
  if (a.ip === null) return attack.dns.length === 0;
  if (ingressPods !== null && attack.dns.length === 0 && ingressPods.some((pod) => a.ip === pod || (a.ip!.includes('/') && inCidr(pod, a.ip!)))) return true;
  // An alert keyed on a network (a spray across a /24) names the network, not an address.
  return a.ip.includes('/') ? attack.ips.some((ip) => inCidr(ip, a.ip!)) : attack.ips.includes(a.ip);
}

/** Whether `ip` lies inside `cidr` (IPv4 or IPv6), through node's own BlockList. */
function inCidr(ip: string, cidr: string): boolean {
  const [net, bits] = cidr.split('/');
  const family = net.includes(':') ? 'ipv6' : 'ipv4';
  if ((ip.includes(':') ? 'ipv6' : 'ipv4') !== family) return false;
  const list = new BlockList();
  try {
    list.addSubnet(net, Number(bits), family);
    return list.check(ip, family);
  } catch {
    return false;
  }
}

/** For each person's address: `first` (the very first), `learning` or `churn` (see Report.benignByCause). */
function causes(truth: Truth): Map<string, string> {
  const roleOf = new Map(truth.addresses.map((a) => [a.ip, a.role]));
  const out = new Map<string, string>();
  for (const u of truth.users) {
    const kinds = new Set<string>();
    u.addresses.forEach(({ ip }, i) => {
      const kind = roleOf.get(ip) ?? 'other';
      out.set(`${u.dn}\n${ip}`, i === 0 ? 'first' : !kinds.has(kind) ? 'learning' : ip.includes(':') ? 'churn (IPv6)' : 'churn');
      kinds.add(kind);
    });
  }
  return out;
}

export function score(truth: Truth, alerts: AlertRecord[], incidents: IncidentRecord[] | null, allRules: string[] = []): Report {
  const { userDays } = truth;
  const byAttack = new Map<string, AlertRecord[]>(truth.attacks.map((a) => [a.id, []]));
  const attackAlertIds = new Set<string>();
  for (const a of alerts) {
    for (const attack of truth.attacks) {
      if (!belongs(a, attack, truth.ingressPods ?? null)) continue;
      byAttack.get(attack.id)!.push(a);
      attackAlertIds.add(a.id);
    }
  }
  const benign = alerts.filter((a) => !attackAlertIds.has(a.id));
  const benignIncident = (i: IncidentRecord) => !i.alertIds.some((id) => attackAlertIds.has(id));

  const rules = [...new Set([...allRules, ...alerts.map((a) => a.rule), ...(incidents ?? []).flatMap((i) => i.rules)])].sort();
  const figures: RuleFigures[] = rules.map((rule) => {
    const mine = alerts.filter((a) => a.rule === rule);
    const benignN = mine.filter((a) => !attackAlertIds.has(a.id)).length;
    const inc = incidents?.filter((i) => i.rules.includes(rule)) ?? null;
    const benignInc = inc?.filter(benignIncident).length ?? null;
    return {
      rule,
      alerts: mine.length,
      attackAlerts: mine.length - benignN,
      benignAlerts: benignN,
      benignAlertsPer1000: per1000(benignN, userDays),
      incidents: inc?.length ?? null,
      benignIncidents: benignInc,
      benignIncidentsPer1000: benignInc === null ? null : per1000(benignInc, userDays),
    };
  });

  const profileOf = new Map(truth.users.map((u) => [u.dn, u.profile as string]));
  const benignByProfile: Record<string, Record<string, number>> = {};
  const benignBySeverity: Record<string, number> = {};
  const roleOf = new Map(truth.addresses.map((a) => [a.ip, a.role]));
  const benignByAddress: Record<string, Record<string, number>> = {};
  const benignByCause: Record<string, Record<string, number>> = {};
  const causeOf = causes(truth);
  const benignByDay = Array.from({ length: truth.generator.days }, () => 0);
  const start = Date.parse(truth.generator.start);
  for (const a of benign) {
    const profile = a.dn === null ? '-' : (profileOf.get(a.dn) ?? 'other');
    (benignByProfile[a.rule] ??= {})[profile] = (benignByProfile[a.rule][profile] ?? 0) + 1;
    benignBySeverity[a.severity] = (benignBySeverity[a.severity] ?? 0) + 1;
    const role = a.ip === null ? '-' : (roleOf.get(a.ip) ?? 'other');
    (benignByAddress[a.rule] ??= {})[role] = (benignByAddress[a.rule][role] ?? 0) + 1;
    const cause = a.dn === null ? '-' : a.ip === null ? 'other' : (causeOf.get(`${a.dn}\n${a.ip}`) ?? 'other');
    (benignByCause[a.rule] ??= {})[cause] = (benignByCause[a.rule][cause] ?? 0) + 1;
    const day = Math.floor((Date.parse(a.time) - start) / 86_400_000);
    if (day >= 0 && day < benignByDay.length) benignByDay[day]++;
  }

  const attacks: AttackResult[] = truth.attacks.map((attack) => {
    const mine = byAttack.get(attack.id)!;
    const ids = new Set(mine.map((a) => a.id));
    const raised = [...new Set(mine.map((a) => a.rule))].sort();
    const holding = incidents?.filter((i) => i.alertIds.some((id) => ids.has(id))).map((i) => i.id) ?? [];
    return {
      id: attack.id,
      kind: attack.kind,
      summary: attack.summary,
      caught: mine.length > 0,
      rules: raised,
      alertIds: [...ids],
      expectedToday: attack.expect.today,
      expectedV2: attack.expect.v2,
      missingExpectedToday: attack.expect.today.filter((r) => !raised.includes(r)),
      inIncident: incidents === null ? null : holding.length > 0,
      incidentIds: holding,
    };
  });

  const benignIncidents = incidents?.filter(benignIncident).length ?? null;
  const everyAttackCaught = attacks.every((a) => a.caught);
  const everyAttackInIncident = incidents === null ? null : attacks.every((a) => a.inIncident === true);
  const benignIncidentsPer1000 = benignIncidents === null ? null : per1000(benignIncidents, userDays);
  const notes: string[] = [];
  // Behind an ingress every line carries a pod's address: the attacks that only an address
  // gives away cannot be seen, and ouwatch says so. The benign side is what is measured.
  const attacksJudged = (truth.ingressPods ?? null) === null;
  if (!attacksJudged) notes.push(`behind an ingress (every address one of ${truth.ingressPods!.join(', ')}): attacks are listed, not judged`);
  const missed = attacks.filter((a) => !a.caught).map((a) => `${a.id} ${a.kind}`);
  if (missed.length) notes.push(`missed: ${missed.join(', ')}`);
  if (incidents === null) notes.push('this ouwatch has no incidents: the incident targets cannot be met');
  else {
    const outside = attacks.filter((a) => a.caught && !a.inIncident).map((a) => `${a.id} ${a.kind}`);
    if (outside.length) notes.push(`caught but in no incident: ${outside.join(', ')}`);
    if (benignIncidentsPer1000! > TARGET_BENIGN_INCIDENTS_PER_1000) notes.push(`${benignIncidentsPer1000} benign incidents per 1000 user-days (target <= ${TARGET_BENIGN_INCIDENTS_PER_1000})`);
  }
  return {
    userDays,
    rules: figures,
    totals: { alerts: alerts.length, attackAlerts: alerts.length - benign.length, benignAlerts: benign.length, benignAlertsPer1000: per1000(benign.length, userDays) },
    benignBySeverity,
    benignByProfile,
    benignByAddress,
    benignByCause,
    benignByDay,
    incidents:
      incidents === null
        ? null
        : { total: incidents.length, attack: incidents.length - benignIncidents!, benign: benignIncidents!, benignPer1000: benignIncidentsPer1000! },
    attacks,
    verdict: {
      everyAttackCaught,
      everyAttackInIncident,
      benignIncidentsPer1000,
      target: TARGET_BENIGN_INCIDENTS_PER_1000,
      met: (!attacksJudged || (everyAttackCaught && everyAttackInIncident === true)) && benignIncidentsPer1000 !== null && benignIncidentsPer1000 <= TARGET_BENIGN_INCIDENTS_PER_1000,
      attacksJudged,
      notes,
    },
  };
}
