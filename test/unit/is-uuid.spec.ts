import { randomUUID } from 'node:crypto';
import { isUuid } from '../../src/common/is-uuid';

describe(isUuid.name, () => {
  it('accepts the ids the app creates', () => {
    expect(isUuid(randomUUID())).toBe(true);
  });

  it.each([
    ['upper case', randomUUID().toUpperCase()],
    ['braces', `{${randomUUID()}}`],
    ['a trailing newline', `${randomUUID()}\n`],
    ['no dashes', randomUUID().replace(/-/g, '')],
    ['a non-hex letter', `g${randomUUID().slice(1)}`],
    ['an empty string', ''],
    ['a number', 42],
    ['undefined', undefined],
  ])('rejects %s', (_, value) => {
    expect(isUuid(value)).toBe(false);
  });
});
