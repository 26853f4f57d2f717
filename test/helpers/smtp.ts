import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server (smtp-server) on loopback that keeps every message it accepts. It
 * offers STARTTLS with smtp-server's built-in certificate; stop and start it again on the
 * same port to play an outage.
 */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

/** How the server answers a message it has read: after a delay, with a refusal (4xx/5xx), or both. */
export interface SmtpAnswer {
  delayMs?: number;
  refuse?: { code: number; message: string };
}

export class LoopbackSmtp {
  /** Every message read to its end, including ones then refused or answered late. */
  readonly received: ReceivedMail[] = [];
  private server: SMTPServer | null = null;
  port = 0;

  constructor(
    private readonly opts: {
      secure?: boolean;
      auth?: { user: string; pass: string };
      /** Decides the answer to the n-th message (0-based); default: accept at once. */
      answer?: (mail: ReceivedMail, n: number) => SmtpAnswer | undefined;
    } = {},
  ) {}

  async start(port = this.port): Promise<number> {
    const auth = this.opts.auth;
    this.server = new SMTPServer({
      secure: this.opts.secure ?? false,
      authOptional: auth === undefined,
      disabledCommands: auth === undefined ? ['AUTH'] : [],
      logger: false,
      onAuth(a, _session, cb) {
        if (auth && a.username === auth.user && a.password === auth.pass) cb(null, { user: a.username });
        else cb(new Error('Invalid username or password'));
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const mail = {
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          };
          this.received.push(mail);
          const a = this.opts.answer?.(mail, this.received.length - 1);
          const reply = () => {
            if (a?.refuse) cb(Object.assign(new Error(a.refuse.message), { responseCode: a.refuse.code }));
            else cb();
          };
          if (a?.delayMs) setTimeout(reply, a.delayMs);
          else reply();
        });
      },
    });
    this.server.listen(port, '127.0.0.1');
    await once(this.server.server, 'listening');
    this.port = (this.server.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const s = this.server;
    this.server = null;
    await new Promise<void>((r) => s.close(() => r()));
  }
}

/** The decoded parts of a MIME message written by nodemailer with base64 parts. */
export function mimeParts(raw: string): { headers: string; parts: Array<{ contentType: string; filename: string | null; body: string }> } {
  const sep = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, sep);
  const parts: Array<{ contentType: string; filename: string | null; body: string }> = [];
  const boundaries = [...raw.matchAll(/boundary="?([^";\r\n]+)"?/g)].map((m) => m[1]);
  for (const b of boundaries) {
    for (const chunk of raw.split(`--${b}`).slice(1)) {
      const end = chunk.indexOf('\r\n\r\n');
      if (end < 0) continue;
      const head = chunk.slice(0, end);
      const type = /content-type:\s*([^;\r\n]+)/i.exec(head)?.[1] ?? '';
      if (type.startsWith('multipart/')) continue;
      if (!/content-transfer-encoding:\s*base64/i.test(head)) continue;
      const filename = /filename="?([^";\r\n]+)"?/i.exec(head)?.[1] ?? null;
      const body = Buffer.from(chunk.slice(end + 4).replace(/\s+/g, ''), 'base64').toString('utf8');
      parts.push({ contentType: type.trim(), filename, body });
    }
  }
  return { headers, parts };
}
