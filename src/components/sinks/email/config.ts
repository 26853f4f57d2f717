import * as z from 'zod';
import { envName, noControl, severitySchema } from '../../../core/config-file.js';

/** `notify.email`: digests over SMTP. */
export const emailSchema = z.lazy(() =>
  z
    .object({
      host: z.string().min(1).describe('SMTP server'),
      port: z.number().int().min(1).max(65535).default(587),
      security: z.enum(['starttls', 'tls', 'none']).default('starttls').describe('starttls (required), tls (implicit, port 465), none (STARTTLS only if offered)'),
      user: z.string().min(1).optional(),
      password: z.string().min(1).optional().describe('prefer passwordEnv'),
      passwordEnv: envName.optional().describe('environment variable holding the SMTP password'),
      rejectUnauthorized: z.boolean().default(true).describe("verify the server's certificate"),
      from: noControl('an address').regex(/@/, 'expected an email address'),
      to: z.array(noControl('an address').regex(/@/, 'expected an email address')).min(1),
      minSeverity: severitySchema.default('high'),
      windowSeconds: z.number().min(1).default(60).describe('one digest per window'),
      subjectPrefix: noControl('a subject prefix').default('[ouwatch]'),
      // RFC 5321 4.5.3.2: a client waits up to 10 minutes for the answer to a message. Giving up
      // sooner while the server is still accepting it sends the digest twice.
      timeoutMs: z.number().int().min(100).default(600_000).describe('longest wait for each SMTP reply (RFC 5321: 10 min for the answer to a message)'),
      connectTimeoutMs: z.number().int().min(100).default(30_000).describe('longest wait to connect and for the greeting'),
      allowPlaintextAuth: z.boolean().default(false).describe('with security none: allow sending the password when the server offers no STARTTLS'),
    })
    .strict()
    .superRefine((e, ctx) => {
      if (e.security === 'none' && e.user && !e.allowPlaintextAuth) {
        ctx.addIssue({
          code: 'custom',
          path: ['security'],
          message: 'expected starttls or tls when a user and password are set: with none, a server that offers no STARTTLS receives the password in clear (set allowPlaintextAuth: true to accept that)',
        });
      }
      if (e.user && !e.password && !e.passwordEnv) ctx.addIssue({ code: 'custom', path: ['passwordEnv'], message: 'expected password or passwordEnv when user is set' });
      if (!e.user && (e.password || e.passwordEnv)) ctx.addIssue({ code: 'custom', path: ['user'], message: 'expected user when a password is set' });
    }),
);

export type EmailConfig = z.infer<typeof emailSchema>;
