import { existsSync, readdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { spoolDirOf } from '../../src/photos/upload-spool';
import { UPLOADS_BUSY } from '../../src/photos/upload-slots.guard';
import { loggedInBrowser } from '../support/browser';
import { CapturingLogger } from '../support/capturing-logger';
import { jpeg } from '../support/images';
import { slowUpload } from '../support/slow-upload';
import { createTestApp, TestApp } from '../support/test-app';
import { backends } from '../support/test-database';

type Entry = { level: string; message: Record<string, unknown> };

/** Keeps each line's level too, and lets a test wait for a line to be written. */
class LevelLogger extends CapturingLogger {
  readonly entries: Entry[] = [];
  private readonly waiting = new Set<() => void>();

  override log(...args: unknown[]) {
    this.keep('log', args);
  }
  override warn(...args: unknown[]) {
    this.keep('warn', args);
  }
  override error(...args: unknown[]) {
    this.keep('error', args);
  }

  /** Resolves with the first line (already written or still to come) that matches. */
  next(matches: (entry: Entry) => boolean): Promise<Entry> {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.entries.find(matches);
        if (found) {
          this.waiting.delete(check);
          resolve(found);
        }
      };
      this.waiting.add(check);
      check();
    });
  }

  private keep(level: string, args: unknown[]) {
    super.log(...args);
    this.entries.push({ level, message: (typeof args[0] === 'object' ? args[0] : { text: args[0] }) as Record<string, unknown> });
    for (const check of [...this.waiting]) check();
  }
}

describe.each(backends())('what refused and abandoned uploads write to the log [%s]', (backend) => {
  let t: TestApp;
  let url: string;
  const logger = new LevelLogger();

  beforeAll(async () => {
    t = await createTestApp(backend, { logger, env: { MAX_CONCURRENT_UPLOADS: '1' } });
    await t.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await t?.close();
  });

  it('logs a refusal for busy slots (503) and a client that gives up mid-upload at warn, without a stack, never as a 500', async () => {
    const [holder, waiter] = await Promise.all([loggedInBrowser(url, 'holder'), loggedInBrowser(url, 'waiter')]);
    const held = slowUpload(url, holder, { name: 'held.jpg', data: await jpeg(1600, 1200, 1) });
    const spool = spoolDirOf(t.config);
    while (!(existsSync(spool) && readdirSync(spool).length === 1)) await new Promise((resolve) => setTimeout(resolve, 20));

    const refused = slowUpload(url, waiter, { name: 'later.jpg', data: await jpeg(800, 600, 2) });
    expect((await refused.response).status).toBe(503);
    refused.abort();
    held.response.catch(() => undefined); // never answered: its connection is gone
    held.abort(); // the person closes the tab mid-upload
    // What the app writes once the connection is gone: the abort, or whatever it took it for.
    const abandoned = await logger.next((entry) => entry.message.msg === 'request aborted by the client' || entry.level === 'error');

    expect(abandoned).toMatchObject({
      level: 'warn',
      message: { msg: 'request aborted by the client', method: 'POST', path: '/upload-photos' },
    });
    expect(abandoned.message.status).toBeUndefined();
    expect(logger.entries.filter((entry) => entry.message.msg === 'Request refused')).toEqual([
      { level: 'warn', message: { msg: 'Request refused', reqId: expect.any(String), status: 503, reason: UPLOADS_BUSY } },
    ]);
    expect(logger.entries.filter((entry) => entry.level === 'error')).toEqual([]);
    expect(logger.entries.filter((entry) => entry.message.status === 500)).toEqual([]);
    expect(logger.text()).not.toContain('stack');
  });
});
