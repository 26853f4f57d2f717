import * as z from 'zod';
import { severitySchema } from '../../core/config-file.js';
import { emailSchema } from '../../components/sinks/email/config.js';
import { webhookSchema } from '../../components/sinks/webhook/config.js';

/** `notify`: which sinks receive which alerts (each sink's own settings live with the sink). */
export const notifySchema = z.lazy(() =>
  z
    .object({
      on: z
        .enum(['incidents', 'alerts'])
        .default('incidents')
        .describe('what a notification is about: an incident opened or escalated (its alerts inside), or every new alert'),
      email: emailSchema.optional().describe('off unless set'),
      webhooks: z
        .array(webhookSchema)
        .default([])
        .superRefine((ws, ctx) => {
          const seen = new Set<string>();
          ws.forEach((w, i) => {
            const name = w.name ?? `webhook-${i + 1}`;
            if (seen.has(name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `expected a unique name, '${name}' is used twice` });
            seen.add(name);
          });
        }),
      jsonl: z
        .object({ path: z.string().min(1), minSeverity: severitySchema.default('low') })
        .strict()
        .optional()
        .describe('append each alert as one JSON line'),
      expireMinutes: z.number().positive().default(24 * 60).describe('a notification not delivered by then fails (visibly)'),
    })
    .strict()
    .prefault({}),
);

export type NotifyConfig = z.infer<typeof notifySchema>;
