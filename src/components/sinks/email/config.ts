import { z } from 'zod';
import { envName, noControl, severitySchema } from '../../../core/config-file.js';

/** `notify.email`: digests over SMTP. */
export const emailSchema = z
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
    timeoutMs: z.number().int().min(100).default(30_000),
  })
  .strict()
  .superRefine((e, ctx) => {
    if (e.user && !e.password && !e.passwordEnv) ctx.addIssue({ code: 'custom', path: ['passwordEnv'], message: 'expected password or passwordEnv when user is set' });
    if (!e.user && (e.password || e.passwordEnv)) ctx.addIssue({ code: 'custom', path: ['user'], message: 'expected user when a password is set' });
  });

export type EmailConfig = z.infer<typeof emailSchema>;
