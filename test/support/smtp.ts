import { readdir, readFile } from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AddressObject, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One email as a test wants to look at it. */
export interface ReceivedMail {
  /** Addresses in the To header. */
  to: string[];
  /** The From header as `Name <address>` (name unquoted, as MAIL_FROM is written), or just the address. */
  from: string;
  subject: string;
  text: string;
  html: string;
  /** The whole message as sent. */
  raw: string;
}

export interface TestSmtpServer {
  /** smtp://user:pass@127.0.0.1:<port> — any user name and password are accepted. */
  url: string;
  /** Every message received so far, in order; a message is listed before the client hears it was accepted. */
  messages: ReceivedMail[];
  /** The first message (already received or still to come) that matches. */
  waitFor(predicate: (mail: ReceivedMail) => boolean): Promise<ReceivedMail>;
  stop(): Promise<void>;
}

/**
 * A real SMTP server on 127.0.0.1 and a free port (or `port`: one where an earlier server, or none, listened), plain
 * text (no STARTTLS), accepting any login or none.
 */
export async function startSmtpServer(port = 0): Promise<TestSmtpServer> {
  const messages: ReceivedMail[] = [];
  const waiters = new Set<() => void>();

  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anonymous' }),
    onData: (stream, _session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('error', (error) => callback(error));
      stream.once('end', () => {
        parseMail(Buffer.concat(chunks)).then(
          (mail) => {
            messages.push(mail);
            for (const wake of [...waiters]) wake();
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: listening } = server.server.address() as AddressInfo;

  return {
    url: `smtp://user:pass@127.0.0.1:${listening}`,
    messages,
    waitFor(predicate) {
      return new Promise<ReceivedMail>((resolve) => {
        const check = () => {
          const found = messages.find(predicate);
          if (!found) return;
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      });
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Every `.eml` file in a folder (the outbox), parsed, in name order — which is the order they were written. */
export async function readOutbox(dir: string): Promise<ReceivedMail[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.eml')).sort();
  return Promise.all(names.map(async (name) => parseMail(await readFile(join(dir, name)))));
}

async function parseMail(raw: Buffer): Promise<ReceivedMail> {
  const parsed = await simpleParser(raw);
  return {
    to: addresses(parsed.to),
    from: (parsed.from?.value ?? [])
      .map((entry) => (entry.name ? `${entry.name} <${entry.address ?? ''}>` : (entry.address ?? '')))
      .join(', '),
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: parsed.html || '',
    raw: raw.toString('utf8'),
  };
}

function addresses(header: AddressObject | AddressObject[] | undefined): string[] {
  const objects = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return objects.flatMap((object) => object.value.map((entry) => entry.address ?? '')).filter(Boolean);
}
