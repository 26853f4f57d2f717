import type { AddressClaim } from './networks.js';
import type { Profile } from './people.js';

/** The ground truth the generator writes beside the logs (truth.json) and the evaluator reads. */

export const ATTACK_KINDS = [
  'refresh-token-replay-new-country',
  'refresh-token-replay-ipv6',
  'stale-refresh-token',
  'password-spray-one-address',
  'password-spray-across-a-24',
  'authorization-probing',
  'impossible-travel',
  'stolen-session-beside-owner',
  'thief-first-visit',
  'returning-thief',
  'password-guessed',
  'wrong-client-secret',
  'password-spray-from-a-botnet',
] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

export interface AttackTruth {
  id: string;
  kind: AttackKind;
  summary: string;
  /** The DNs the attacker acts as (empty where the lines carry `cn=none`). */
  dns: string[];
  /** The attacker's addresses. */
  ips: string[];
  /** Whose token or password was stolen (may not appear in the lines). */
  victim: string | null;
  /** First and last attack line, in log time (replica 0's clock; replica 1 runs a few seconds ahead). */
  start: string;
  end: string;
  /** Rule ids expected to raise an alert for it: today's nine rules, and detection v2's design. */
  expect: { today: string[]; v2: string[] };
  /** Another attack of the same intruder. */
  related: string | null;
  /** Every line the attacker caused, as written. */
  lines: { file: string; text: string }[];
}

export interface UserTruth {
  dn: string;
  profile: Profile;
  country: string;
  homeIsp: string;
  homeAsn: number;
  /** The home line gets a new IPv4 address nearly every night. */
  dailyNewAddress: boolean;
  ipv6: boolean;
  multiTool: boolean;
  poller: boolean;
  trip: string | null;
  activeDays: number[];
  /** The addresses the person used, in the order first used (`first`: ISO time). */
  addresses: { ip: string; first: string }[];
}

export interface Truth {
  version: 1;
  /** `noGrace`: OpenUnison's default grace period of 0 (`--no-grace`); absent in weeks written before it. */
  generator: { seed: number; users: number; days: number; density: number; noGrace?: boolean; start: string; end: string };
  /** Behind an ingress that hides the clients (`--ingress`): the pod addresses every line carries instead; null: clients' own. */
  ingressPods: string[] | null;
  files: string[];
  lines: Record<string, number>;
  bytes: Record<string, number>;
  /** Events per type, as `ouwatch replay` counts them in its summary. */
  events: Record<string, number>;
  replicaSkewMs: { file: string; fromMs: number; toMs: number };
  /** Days on which a person (not a service account) was active, summed over people. */
  userDays: number;
  calendarUserDays: number;
  users: UserTruth[];
  serviceAccounts: string[];
  /** Every public address the corpus claims a country for, with the ISP it was drawn from. */
  addresses: AddressClaim[];
  attacks: AttackTruth[];
}
