const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `value` has the shape of our ids (lower-case UUIDs): anything else is not looked up at all. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
