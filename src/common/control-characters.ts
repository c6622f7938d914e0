// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Whether `value` holds a C0 control character or DEL: never part of a name, an address or a path we accept. */
export function hasControlCharacter(value: string): boolean {
  return CONTROL_CHARACTER.test(value);
}
