import { ConnectionException, DriverException } from '@mikro-orm/core';

/** Driver error codes that mean "the database server cannot be reached", not "this query is wrong". */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  // mariadb connector
  'ER_CONNECTION_ALREADY_CLOSED',
  'ER_SOCKET_UNEXPECTED_CLOSE',
  'ER_CONNECTION_TIMEOUT',
  'ER_GET_CONNECTION_TIMEOUT',
]);

export const DATABASE_UNAVAILABLE = 'Photosphere cannot reach its database right now. Please try again in a moment.';

/**
 * Whether an error says the database is down or unreachable (a 503 that goes away by itself), as opposed to a
 * bug. SQLSTATE class 08 is "connection exception" in the SQL standard.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (error instanceof ConnectionException) return true;
  return error instanceof DriverException && (UNREACHABLE.has(error.code ?? '') || (error.sqlState ?? '').startsWith('08'));
}
