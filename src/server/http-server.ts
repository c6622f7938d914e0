import type { Server } from 'node:http';
import { ServerConfig } from '../config/app-config';

/** How often Node checks open connections against the header and request timeouts (its default is 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/**
 * The Node server's own limits, so a slow or stalled client cannot hold a connection forever: headers within
 * HEADERS_TIMEOUT_SECONDS, the whole request (a big upload included) within REQUEST_TIMEOUT_SECONDS (408 otherwise),
 * and idle keep-alive connections closed after KEEP_ALIVE_TIMEOUT_SECONDS. Set before the server listens.
 */
export function configureHttpServer(server: Server, config: ServerConfig): void {
  server.headersTimeout = config.headersTimeoutMs;
  server.requestTimeout = config.requestTimeoutMs;
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  // Read when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = TIMEOUT_CHECK_INTERVAL_MS;
}
