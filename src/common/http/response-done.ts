import type { Response } from 'express';
import { finished } from 'node:stream';

/** Resolves once the response has been sent, or its connection has closed before that (even already). Never rejects. */
export function responseDone(res: Response): Promise<void> {
  return new Promise((resolve) => finished(res, () => resolve()));
}
