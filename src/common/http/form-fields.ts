/** A form field as one string: absent fields and array tricks (`username[]=…`) become the empty string. */
export function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}
