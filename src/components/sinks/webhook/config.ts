import * as z from 'zod';
import { envName, severitySchema } from '../../../core/config-file.js';
import { urlCredentialProblem } from '../../../core/redact.js';

/** One entry of `notify.webhooks`. */
export const webhookSchema = z.lazy(() =>
  z
    .object({
      name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'expected letters, digits, _ . -').optional().describe('shown in logs and the outbox (default webhook-N)'),
      url: z
        .url({ protocol: /^https?$/, error: 'expected an http or https URL' })
        .superRefine((u, ctx) => {
          const problem = urlCredentialProblem(u);
          if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
        })
        .optional()
        .describe('where to POST; no credentials in it'),
      urlEnv: envName.optional().describe('environment variable holding the URL, for endpoints whose URL is itself a secret (Slack, a ?token=)'),
      secret: z.string().min(16).optional().describe('HMAC-SHA256 key (prefer secretEnv)'),
      secretEnv: envName.optional().describe('environment variable holding the HMAC-SHA256 key'),
      format: z.enum(['json', 'slack']).default('json').describe('json: the alert; slack: a Slack-compatible {text} body'),
      minSeverity: severitySchema.default('medium'),
      timeoutMs: z.number().int().min(100).default(5_000),
    })
    .strict()
    .superRefine((w, ctx) => {
      if (w.format === 'json' && !w.secret && !w.secretEnv) ctx.addIssue({ code: 'custom', path: ['secretEnv'], message: 'expected secret or secretEnv: json webhooks are signed' });
      if ((w.url === undefined) === (w.urlEnv === undefined)) ctx.addIssue({ code: 'custom', path: ['url'], message: 'expected exactly one of url and urlEnv' });
      if (w.urlEnv !== undefined) {
        const problem = envUrlProblem(process.env[w.urlEnv] ?? '');
        if (problem !== null) ctx.addIssue({ code: 'custom', path: ['urlEnv'], message: `environment variable ${w.urlEnv}: ${problem}` });
      }
    }),
);

/** Checks a URL read from the environment; the message never repeats it. */
function envUrlProblem(value: string): string | null {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return 'expected an http or https URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'expected an http or https URL';
  if (u.username !== '' || u.password !== '') return 'expected a URL without user:password@ (HTTP clients refuse it, and it would end up in logs)';
  return null;
}

export type WebhookConfig = z.infer<typeof webhookSchema>;

/** The URL to POST to (from `url` or the environment variable `urlEnv`). */
export function webhookUrl(w: WebhookConfig): string {
  return w.url ?? process.env[w.urlEnv ?? ''] ?? '';
}
