import * as z from 'zod';
import { cidrSchema } from '../../core/address-set.js';

/** `console:` in the configuration file: how `ouwatch serve` (and `run --listen`) let people in. */
export const consoleSchema = z.lazy(() =>
  z
    .object({
      listen: z.string().default('127.0.0.1:8080').describe('address of `ouwatch serve` (loopback needs no login)'),
      auth: z
        .object({
          tokenEnv: z.string().min(1).default('OUWATCH_CONSOLE_TOKEN').describe('environment variable holding the bearer token'),
          tokenFile: z.string().min(1).optional().describe('file holding the bearer token (a mounted Secret)'),
          tokenUser: z.string().min(1).default('console-token').describe('the name recorded for changes made with the token'),
        })
        .strict()
        .prefault({}),
      proxy: z
        .object({
          header: z.string().min(1).default('X-Remote-User').describe("request header naming the user, set by OpenUnison's reverse proxy"),
          networks: z.array(cidrSchema).default([]).describe('addresses of the reverse proxy: the header is believed from these only'),
        })
        .strict()
        .prefault({}),
    })
    .strict()
    .prefault({}),
);

export type ConsoleConfig = z.infer<typeof consoleSchema>;
