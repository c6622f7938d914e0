import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The package's main module is the VS Code extension (it needs `vscode`), so the blob server is deep-imported.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BlobServer = require('azurite/dist/src/blob/BlobServer').default;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const BlobConfiguration = require('azurite/dist/src/blob/BlobConfiguration').default;

const ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  connectionString: string;
  /** http://127.0.0.1:<port>/devstoreaccount1 */
  blobEndpoint: string;
  /** Simulates an outage: open connections are cut and the port refuses new ones. Data is kept. */
  pause(): Promise<void>;
  /** Starts serving again on the same port with the same data. */
  resume(): Promise<void>;
  /** Stops the server for good and deletes its data. */
  stop(): Promise<void>;
}

/** Azurite's blob service, in this process, on 127.0.0.1 and a free port, with its data in a fresh temp folder. */
export async function startAzurite(): Promise<Azurite> {
  const dir = mkdtempSync(join(tmpdir(), 'photosphere-azurite-'));
  let current: Running | undefined = await listen(dir, 0);
  const port = (current.http.address() as AddressInfo).port;
  const blobEndpoint = `http://127.0.0.1:${port}/devstoreaccount1`;
  let last = current.server;
  const close = async () => {
    if (!current) return;
    const { server, http, sockets } = current;
    current = undefined;
    const closed = new Promise((resolve) => http.once('close', resolve));
    for (const socket of sockets) socket.destroy(); // like a network cut, in-flight requests included
    await server.close(); // also saves the metadata database, which the next server loads
    for (const socket of sockets) socket.destroy();
    if (http.listening) await closed;
  };
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    blobEndpoint,
    pause: close,
    resume: async () => {
      if (current) return;
      current = await listen(dir, port);
      last = current.server;
    },
    stop: async () => {
      await close();
      await last.clean();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Running {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  server: any;
  http: Server;
  sockets: Set<Socket>;
}

async function listen(dir: string, port: number): Promise<Running> {
  const configuration = new BlobConfiguration(
    '127.0.0.1',
    port,
    5, // keep-alive timeout, seconds
    join(dir, '__azurite_db_blob__.json'),
    join(dir, '__azurite_db_blob_extent__.json'),
    [{ locationId: 'Default', locationPath: join(dir, 'blobs'), maxConcurrency: 10 }],
    false, // access log
    undefined,
    false, // debug log
    undefined,
    false, // loose
    true, // skipApiVersionCheck: @azure/storage-blob 12.32.0 sends a newer x-ms-version than Azurite 3.35.0 knows
  );
  const server = new BlobServer(configuration);
  const http: Server = server.httpServer;
  const sockets = new Set<Socket>();
  http.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await server.start();
  return { server, http, sockets };
}
