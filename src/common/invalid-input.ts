/** What is wrong with each field of an input, in words for the person who typed it; a form shows them beside the fields. */
export type FieldProblems<F extends string = string> = Partial<Record<F, string[]>>;

export function hasProblems(problems: FieldProblems): boolean {
  return Object.keys(problems).length > 0;
}

/**
 * A service refused its input: the fields named in `problems` must change. Controllers turn it into the form again,
 * with each message beside its field (422); the CLI prints the messages.
 */
export class InvalidInputError<F extends string = string> extends Error {
  constructor(readonly problems: FieldProblems<F>) {
    super(`Invalid input: ${Object.values<string[] | undefined>(problems).flat().join(' ')}`);
  }
}
