import { z } from 'zod';
import { envName, severitySchema } from '../../../core/config-file.js';

/** One entry of `notify.webhooks`. */
export const webhookSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected letters, digits, _ . -').optional().describe('shown in logs and the outbox (default webhook-N)'),
    url: z.url({ protocol: /^https?$/ }),
    secret: z.string().min(16).optional().describe('HMAC-SHA256 key (prefer secretEnv)'),
    secretEnv: envName.optional().describe('environment variable holding the HMAC-SHA256 key'),
    format: z.enum(['json', 'slack']).default('json').describe('json: the alert; slack: a Slack-compatible {text} body'),
    minSeverity: severitySchema.default('medium'),
    timeoutMs: z.number().int().min(100).default(5_000),
  })
  .strict()
  .superRefine((w, ctx) => {
    if (w.format === 'json' && !w.secret && !w.secretEnv) ctx.addIssue({ code: 'custom', path: ['secretEnv'], message: 'expected secret or secretEnv: json webhooks are signed' });
  });

export type WebhookConfig = z.infer<typeof webhookSchema>;
