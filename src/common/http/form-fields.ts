/** Per-field messages for a form, shown beside each field. */
export type FieldErrors<F extends string> = Partial<Record<F, string[]>>;

/** A form field as one string: absent fields and array tricks (`username[]=…`) become the empty string. */
export function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

export function hasErrors(errors: FieldErrors<string>): boolean {
  return Object.keys(errors).length > 0;
}
