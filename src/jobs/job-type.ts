/**
 * A kind of job and the shape of its payload. Features declare theirs as constants (`jobType<{ photoId: string }>('photo.process')`),
 * enqueue them with JobQueue and register one handler for each with JobHandlers. `sealed` jobs have their payload
 * encrypted in the table (see PayloadSeal): use it whenever the payload carries a secret or a message body.
 */
export interface JobType<P> {
  readonly name: string;
  readonly sealed?: boolean;
  /** Never set: carries the payload type to enqueue and register. */
  readonly payload?: P;
}

export function jobType<P>(name: string, options: { sealed?: boolean } = {}): JobType<P> {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) throw new Error(`A job type name must be 1–64 of a-z 0-9 . _ - (got "${name}").`);
  return { name, sealed: options.sealed ?? false };
}
