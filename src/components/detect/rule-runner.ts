import { AddressSet } from '../../core/address-set.js';
import { DnPatterns } from '../../core/dn-patterns.js';
import { EVENT_TYPES, TYPE } from '../../core/events.js';
import type { LogEvent } from '../../core/log-event.js';
import type { OrganisationView } from '../history/organisation.js';
import type { OpenTable } from './detector-state.js';
import type { Detector, DetectorContext } from './detector.js';
import type { Rule } from './rules.js';
import type { StateCodec } from './state-table.js';

/** A rule with its detector and compiled filters. */
export class RuleRunner {
  private readonly dns: DnPatterns | null;
  private readonly ips: AddressSet | null;

  constructor(
    readonly index: number,
    readonly rule: Rule,
    readonly detector: Detector,
    patterns: DnPatterns,
  ) {
    this.dns = patterns.active ? patterns : null;
    this.ips = rule.ipExceptions.length ? new AddressSet(rule.ipExceptions) : null;
  }

  admitsDn(dn: string): boolean {
    return this.dns === null || this.dns.allows(dn);
  }

  admitsAddress(ip: string): boolean {
    return this.ips === null || !this.ips.has(ip);
  }

  get excludesAddresses(): boolean {
    return this.ips !== null;
  }

  whyNot(e: LogEvent): string | null {
    const dn = e.dn?.dn ?? null;
    if (this.dns !== null && dn !== null) {
      const why = this.dns.why(dn);
      if (why !== null) return `the DN ${why}`;
    }
    const ip = e.address?.ip ?? null;
    if (this.ips !== null && ip !== null && this.ips.has(ip)) return `${ip} is in the rule's ipExceptions (${this.ips.which(ip)})`;
    return null;
  }
}

/** What every rule's detector is made with (`open` makes its state tables). */
export interface RunnerSetting {
  /** Opens a state table by its full scope (see DetectorState.reopen). */
  open: OpenTable;
  maxEvidence: number;
  organisation: OrganisationView;
}

/**
 * A runner for each enabled rule that can fire, numbered in order (the index into verdict
 * vectors). A detector's tables are scoped `<rule id>/<detector>/<name>`. Rules with the same
 * DN patterns share one DnPatterns, whose cache of the last DN then serves them all.
 */
export function createRunners(rules: readonly Rule[], setting: RunnerSetting): RuleRunner[] {
  const matchers = new Map<string, DnPatterns>();
  const patternsOf = (rule: Rule): DnPatterns => {
    const key = JSON.stringify([rule.dnInclude, rule.dnExclude]);
    let m = matchers.get(key);
    if (m === undefined) {
      m = new DnPatterns(rule.dnInclude, rule.dnExclude);
      matchers.set(key, m);
    }
    return m;
  };
  return rules
    .filter((r) => r.enabled && r.inactive === null)
    .map((rule, index) => {
      const ctx: DetectorContext = {
        table: <S>(name: string, codec: StateCodec<S>) => setting.open(`${rule.id}/${rule.detector.name}/${name}`, codec),
        maxEvidence: setting.maxEvidence,
        organisation: setting.organisation,
      };
      return new RuleRunner(index, rule, rule.detector.create(rule.params, ctx), patternsOf(rule));
    });
}

/** The runners by event type (`TYPE`), each in rule order: an event goes only to those. */
export function dispatchByType(runners: readonly RuleRunner[]): RuleRunner[][] {
  const dispatch: RuleRunner[][] = EVENT_TYPES.map(() => []);
  for (const r of runners) for (const t of r.rule.events) dispatch[TYPE[t]].push(r);
  return dispatch;
}
