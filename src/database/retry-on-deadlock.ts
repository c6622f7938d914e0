import { DeadlockException } from '@mikro-orm/core';

/** Tries of one transaction that InnoDB keeps choosing as a deadlock's victim, before the error is passed on. */
const ATTEMPTS = 3;

/**
 * Runs `transaction` again when the database ended it to break a deadlock. InnoDB rolls the victim back whole and
 * expects the application to re-issue it (MySQL manual, "How to Minimize and Handle Deadlocks"); its gap locks make
 * this possible even between rows of different owners, e.g. an upload's insert beside another account's delete.
 * `transaction` must be one whole transaction, safe to run again from its start.
 */
export async function retryOnDeadlock<T>(transaction: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transaction();
    } catch (error) {
      if (!(error instanceof DeadlockException) || attempt >= ATTEMPTS) throw error;
    }
  }
}
