import * as z from 'zod';
import { cidrSchema } from '../../core/address-set.js';
import { durationSchema } from '../../core/duration.js';
import { FEW_PRIVATE_NETWORKS } from '../../core/history.js';
import { MAX_OPEN_ALERTS, MAX_OPEN_PER_USER } from './tracker.js';

/** `detect`: where the rules are, how alerts become incidents, what every rule ignores. */
export const detectSchema = z.lazy(() =>
  z
    .object({
      rulesDir: z.string().min(1).optional().describe('directory of rule YAML files (default: the rules shipped with ouwatch)'),
      overlayDir: z.string().min(1).optional().describe('rules.d: files here add rules, or patch or replace shipped ones by id'),
      maxEvidence: z.number().int().min(1).max(1000).default(20).describe('log lines kept as evidence per alert (the rest are counted)'),
      maxOpenAlertsPerUser: z
        .number()
        .int()
        .min(1)
        .max(1_000_000)
        .default(MAX_OPEN_PER_USER)
        .describe('open alerts one rule keeps for one user, each of its own address; a finding from yet another counts on the latest of them (not for rules that respond)'),
      maxOpenAlerts: z
        .number()
        .int()
        .min(1)
        .max(100_000_000)
        .default(MAX_OPEN_ALERTS)
        .describe('open alerts held in memory to count repeats on, over all rules and users; beyond it the least recently repeated are let go after a commit, and a later finding of theirs raises a new alert'),
      networks: z
        .object({
          ipv4: z.number().int().min(8).max(32).default(24).describe('prefix length of an IPv4 network for novelty and bursts'),
          ipv6: z.number().int().min(16).max(128).default(64).describe('prefix length of an IPv6 network'),
        })
        .strict()
        .prefault({}),
      incidents: z
        .object({
          threshold: z.number().int().min(1).default(60).describe("summed risk of one user's (or network's) alerts that opens an incident"),
          window: durationSchema.prefault('24h').describe('the sliding window of log time the risk is summed over'),
        })
        .strict()
        .prefault({}),
      organisation: z
        .object({
          minUsers: z
            .number()
            .int()
            .min(2)
            .default(5)
            .describe('users who must have learnt addresses in a network, ASN or country before rules treat it as the organisation\'s'),
          networks: z
            .array(cidrSchema)
            .default([])
            .describe("the organisation's egress (office NAT, VPN, proxies) known in advance: familiar to every user, unlike the allowlist still judged by every rule"),
          privateClientNetworks: z
            .number()
            .int()
            .min(0)
            .max(10_000)
            .default(FEW_PRIVATE_NETWORKS)
            .describe(
              "private networks the organisation's users must have addresses in before private addresses are taken for clients' own; below it every private network is the organisation's equipment (an ingress's pods, the nodes, a NAT); 0: clients' from the start",
            ),
        })
        .strict()
        .prefault({}),
      allowlist: z
        .object({
          networks: z.array(cidrSchema).default([]).describe('addresses and networks every rule ignores (scanners, VPN egress you trust)'),
          dns: z.array(z.string().min(1)).default([]).describe('DN globs every rule ignores (case-insensitive, * matches anything)'),
        })
        .strict()
        .prefault({}),
    })
    .strict()
    .prefault({}),
);

export type DetectConfig = z.infer<typeof detectSchema>;
