import { DeadlockException, UniqueConstraintViolationException } from '@mikro-orm/core';
import { retryOnDeadlock } from '../../src/database/retry-on-deadlock';

const deadlock = () =>
  new DeadlockException(Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { errno: 1213 }));

describe('retryOnDeadlock', () => {
  it('runs a transaction chosen as a deadlock victim again, and returns what the retry returns', async () => {
    const outcomes = [deadlock(), deadlock(), 'stored'];
    const transaction = jest.fn(async () => {
      const next = outcomes.shift();
      if (next instanceof Error) throw next;
      return next;
    });
    await expect(retryOnDeadlock(transaction)).resolves.toBe('stored');
    expect(transaction).toHaveBeenCalledTimes(3);
  });

  it('passes the deadlock on after three tries', async () => {
    const transaction = jest.fn(async () => {
      throw deadlock();
    });
    await expect(retryOnDeadlock(transaction)).rejects.toBeInstanceOf(DeadlockException);
    expect(transaction).toHaveBeenCalledTimes(3);
  });

  it('never repeats a transaction that failed for any other reason', async () => {
    const duplicate = new UniqueConstraintViolationException(new Error('Duplicate entry'));
    const transaction = jest.fn(async () => {
      throw duplicate;
    });
    await expect(retryOnDeadlock(transaction)).rejects.toBe(duplicate);
    expect(transaction).toHaveBeenCalledTimes(1);
  });
});
