const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Whether a value from a URL is an id as the app creates them (`randomUUID()`: lower-case hex). Anything else cannot
 * name a row, so callers answer "not found" without asking the database.
 */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
