import * as z from 'zod';
import { RESPONSE_MODES } from '../../../core/alerts.js';
import { noControl, rfc1123Label, severitySchema } from '../../../core/config-file.js';

/** `respond`: automatic EndSession responses and the guards around them. */
export const respondSchema = z.lazy(() =>
  z
    .object({
      mode: z.enum(RESPONSE_MODES).default('dry-run').describe('off | dry-run (record and print, call nothing) | manifest (write YAML to manifestDir) | apply'),
      manifestDir: z.string().min(1).optional().describe('manifest mode: directory (a GitOps working copy) for EndSession YAML'),
      namespace: rfc1123Label.default('openunison').describe("OpenUnison's namespace"),
      context: noControl('a kubeconfig context').optional().describe('kubeconfig context (default: the current one)'),
      kubeconfig: z.string().min(1).optional().describe('kubeconfig file (default: KUBECONFIG, then in-cluster, then ~/.kube/config)'),
      routes: z
        .array(
          z
            .object({
              source: z.string().min(1).describe('glob on the path of the alert evidence (file or stream name)'),
              context: noControl('a kubeconfig context').optional(),
              namespace: rfc1123Label.optional(),
            })
            .strict(),
        )
        .default([])
        .describe('multi-cluster: send the action to the cluster whose logs showed the session; first match wins'),
      requestTimeoutMs: z.number().int().min(100).default(10_000).describe('per Kubernetes API call'),
      expireMinutes: z.number().positive().default(60).describe('an action not carried out by then fails (visibly)'),
      incidentRisk: z
        .number()
        .int()
        .min(1)
        .nullable()
        .default(null)
        .describe("also end a user's sessions when their incident opens (or escalates) at this summed risk or more, whatever its rules; the guards apply (null = only rules that ask for a response)"),
      guards: z
        .object({
          requireRuleOptIn: z.boolean().default(true).describe('only alerts of rules whose YAML asks for a response'),
          minSeverity: severitySchema.default('high').describe('only alerts at or above this severity'),
          neverEnd: z
            .object({
              dns: z.array(z.string().min(1)).default([]).describe('DNs never ended automatically (break-glass administrators); case-insensitive'),
              patterns: z.array(z.string().min(1)).default([]).describe('DN globs (picomatch, * matches any text) never ended automatically'),
            })
            .strict()
            .prefault({}),
          cooldownMinutes: z.number().min(0).default(60).describe('at most one action per DN in this time (0 = off)'),
          budgetPerHour: z.number().int().min(1).nullable().default(10).describe('automatic actions per hour; past it the breaker opens (null = off)'),
          maxAlertAgeMinutes: z.number().positive().nullable().default(60).describe('never act on alerts whose log time is older (replays of archives); null = off'),
          maxFutureSkewMinutes: z
            .number()
            .min(0)
            .nullable()
            .default(5)
            .describe('never act on alerts whose log time is further ahead of the clock (a skewed archive, a wrong --tz); null = off'),
        })
        .strict()
        .prefault({}),
    })
    .strict()
    .superRefine((r, ctx) => {
      if (r.mode === 'manifest' && !r.manifestDir) ctx.addIssue({ code: 'custom', path: ['manifestDir'], message: 'expected a directory when mode is manifest' });
    }),
);

export type RespondConfig = z.infer<typeof respondSchema>;
export type GuardConfig = RespondConfig['guards'];
