import { severityRank, type Severity, type StoredAlert } from '../../core/alerts.js';
import { HELD_ALERT_IDS, type StoredIncident } from '../../core/incidents.js';
import type { IncidentLink } from '../../core/ports.js';
import { shortHash } from '../../core/identity.js';
import { iso } from './format.js';
import type { StateCodec, StateTable } from './state-table.js';

export interface IncidentSettings {
  /** Summed risk of one key's alerts within `windowMs` that opens an incident. */
  threshold: number;
  windowMs: number;
}

/** The recent alerts of one key (user or network) that no incident holds yet. */
interface RiskWindow {
  entries: Array<[ts: number, risk: number, alertId: string, rule: string, severity: Severity, event: string]>;
}

function codec(windowMs: number): StateCodec<RiskWindow> {
  return {
    encode: (w) => JSON.stringify(w.entries),
    decode: (json) => {
      const j = JSON.parse(json) as RiskWindow['entries'];
      return Array.isArray(j) ? { entries: j } : null;
    },
    expires: (w) => (w.entries.length === 0 ? null : w.entries[w.entries.length - 1][0] + windowMs),
  };
}

export function incidentCodec(windowMs: number): StateCodec<RiskWindow> {
  return codec(windowMs);
}

/**
 * Risk-based alerting: alerts are signals, incidents page people. An incident opens when the
 * summed risk of one user's alerts (or, for alerts without a DN, one network's) within the
 * window crosses the threshold, or at once for an alert of a rule that pages; later alerts of
 * that key join the open incident until an analyst closes it. Everything runs on log time,
 * so replay and live agree.
 */
export class IncidentTracker {
  /** Open (or acknowledged) incidents by key. */
  private readonly open = new Map<string, StoredIncident>();
  private changed = new Set<StoredIncident>();
  private opened: StoredIncident[] = [];
  /** Open incidents whose severity rose since the last commit (not those opened in it). */
  private escalated = new Set<StoredIncident>();
  /** Alerts linked to an incident since the last commit. */
  private links: IncidentLink[] = [];
  /** The risks the latest event added to an open incident: its other alerts count at half too. */
  private lastEvent: { key: string; event: string; risks: number[] } | null = null;
  /**
   * The alert ids each open incident holds (its latest HELD_ALERT_IDS), as a set:
   * `alertIds.includes` at every join made an incident's joins quadratic (an alert storm on
   * one user adds thousands), and one profile spent more time there than in raising the alerts.
   */
  private members = new WeakMap<StoredIncident, Set<string>>();

  constructor(
    private readonly settings: IncidentSettings,
    private readonly windows: StateTable<RiskWindow>,
  ) {}

  load(incidents: readonly StoredIncident[]): void {
    for (const i of incidents) if (i.status !== 'closed') this.open.set(i.key, i);
  }

  /** A new alert (not a repeat). `network` keys alerts without a DN. */
  add(a: StoredAlert, page: boolean, network: string | null, ts: number, event: string): StoredIncident | null {
    const key = a.dn !== null ? `dn:${a.dn}` : network !== null ? `net:${network}` : a.ip !== null ? `net:${a.ip}` : null;
    if (key === null) return null;
    const current = this.open.get(key);
    if (current !== undefined) {
      this.join(current, a, ts, key, event);
      return current;
    }
    let w = this.windows.get(key);
    if (w === undefined) {
      w = { entries: [] };
      this.windows.set(key, w);
    }
    const from = ts - this.settings.windowMs;
    while (w.entries.length > 0 && w.entries[0][0] < from) w.entries.shift();
    w.entries.push([ts, a.risk, a.id, a.rule, a.severity, event]);
    this.windows.touch(key);
    const sum = windowRisk(w.entries);
    if (!page && sum < this.settings.threshold) return null;
    const ids = w.entries.map((e) => e[2]);
    this.windows.delete(key);
    const firstTs = w.entries[0][0];
    let severity: Severity = 'low';
    const rules: string[] = [];
    for (const e of w.entries) {
      if (severityRank(e[4]) > severityRank(severity)) severity = e[4];
      if (!rules.includes(e[3])) rules.push(e[3]);
    }
    const incident: StoredIncident = {
      id: shortHash(`incident\0${key}\0${ids[0]}`),
      status: 'open',
      severity,
      risk: sum,
      dn: a.dn,
      ip: a.dn === null ? (network ?? a.ip) : a.ip,
      firstTime: iso(firstTs),
      lastTime: iso(ts),
      rules,
      alertIds: ids.length > HELD_ALERT_IDS ? ids.slice(-HELD_ALERT_IDS) : ids,
      alertCount: ids.length,
      key,
      closedBenign: false,
    };
    this.open.set(key, incident);
    for (const alert of ids) this.links.push({ incident: incident.id, alert });
    this.changed.add(incident);
    this.opened.push(incident);
    this.lastEvent = { key, event, risks: w.entries.filter((e) => e[5] === event).map((e) => e[1]) };
    return incident;
  }

  /** Incidents opened or changed since the last commit, and which of them are new. */
  collect(): { changed: StoredIncident[]; links: IncidentLink[]; opened: StoredIncident[]; escalated: StoredIncident[] } {
    const opened = new Set(this.opened);
    return { changed: [...this.changed], links: this.links.slice(), opened: this.opened.slice(), escalated: [...this.escalated].filter((i) => !opened.has(i)) };
  }

  committed(): void {
    this.links = [];
    this.changed = new Set();
    this.opened = [];
    this.escalated = new Set();
  }

  /** An analyst closed an incident: the next alerts of its key start afresh. */
  closed(key: string, id: string): void {
    const i = this.open.get(key);
    if (i !== undefined && i.id === id) this.open.delete(key);
  }

  /** The open incident of a key (for explanations). */
  openFor(dn: string | null, network: string | null): StoredIncident | null {
    const key = dn !== null ? `dn:${dn}` : network !== null ? `net:${network}` : null;
    return key === null ? null : this.open.get(key) ?? null;
  }

  /** The summed risk a key has now within the window ending at `ts` (for explanations). */
  riskOf(dn: string | null, network: string | null, ts: number): number {
    const key = dn !== null ? `dn:${dn}` : network !== null ? `net:${network}` : null;
    const w = key === null ? undefined : this.windows.get(key);
    if (w === undefined) return 0;
    return windowRisk(w.entries.filter((e) => e[0] >= ts - this.settings.windowMs));
  }

  private join(i: StoredIncident, a: StoredAlert, ts: number, key: string, event: string): void {
    let members = this.members.get(i);
    if (members === undefined) {
      members = new Set(i.alertIds);
      this.members.set(i, members);
    }
    const last = Date.parse(i.lastTime);
    // The same line read again (a replay from the start) raises an alert with the same id:
    // held, it adds nothing. Not held, but older than the latest alert of an incident that has
    // let ids go, it is most likely such a line too: linked (the store keeps one link per
    // alert), neither counted nor added to the risk.
    if (!members.has(a.id)) {
      this.links.push({ incident: i.id, alert: a.id });
      if (!(i.alertCount > i.alertIds.length && ts < last)) this.count(i, members, a, key, event);
    }
    if (!i.rules.includes(a.rule)) i.rules.push(a.rule);
    if (severityRank(a.severity) > severityRank(i.severity)) {
      i.severity = a.severity;
      this.escalated.add(i);
    }
    if (ts > last) i.lastTime = iso(ts);
    this.changed.add(i);
  }

  /** A new alert of `i`: held (the oldest held id makes room), counted, and its risk added. */
  private count(i: StoredIncident, members: Set<string>, a: StoredAlert, key: string, event: string): void {
    members.add(a.id);
    i.alertIds.push(a.id);
    i.alertCount++;
    if (i.alertIds.length > HELD_ALERT_IDS) members.delete(i.alertIds.shift()!);
    // Alerts of one event arrive one after another; the same event adds by the same rule as in the window.
    const same = this.lastEvent !== null && this.lastEvent.key === key && this.lastEvent.event === event ? this.lastEvent : null;
    if (same === null) {
      this.lastEvent = { key, event, risks: [a.risk] };
      i.risk += a.risk;
    } else {
      const before = eventRisk(same.risks);
      same.risks.push(a.risk);
      i.risk += eventRisk(same.risks) - before;
    }
  }
}

/**
 * The risk of a window of alerts. Alerts raised by one event are one observation seen by
 * several rules (a success from a new country is also from a new network): the event counts
 * its riskiest alert in full and the others at half, so correlated rules do not add up as if
 * they were independent evidence.
 */
export function windowRisk(entries: ReadonlyArray<readonly [number, number, string, string, Severity, string]>): number {
  const byEvent = new Map<string, number[]>();
  for (const e of entries) {
    const event = e[5] ?? e[2];
    const list = byEvent.get(event);
    if (list === undefined) byEvent.set(event, [e[1]]);
    else list.push(e[1]);
  }
  let sum = 0;
  for (const risks of byEvent.values()) sum += eventRisk(risks);
  return sum;
}

/** The risk of the alerts one event raised: the riskiest in full, the others at half. */
function eventRisk(risks: readonly number[]): number {
  let max = 0;
  let total = 0;
  for (const r of risks) {
    total += r;
    if (r > max) max = r;
  }
  return max + (total - max) / 2;
}
