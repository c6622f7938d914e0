import { passwordProblems } from '../../src/users/password-policy';

const EMPTY = 'Enter a password.';
const TOO_SHORT = 'Password must be at least 8 characters.';
const TOO_LONG = 'Password must be at most 128 characters.';
const NO_UPPERCASE = 'Password must contain at least one uppercase letter.';
const NO_SPECIAL = 'Password must contain at least one special character, such as ! ? # or a space.';
const COMMON = 'This password is one of the most common passwords. Choose one that is harder to guess.';
const PERSONAL = 'Password must not contain your username or the name part of your email address.';

describe(passwordProblems.name, () => {
  describe('composition rules', () => {
    it.each([
      ['empty', '', [EMPTY]],
      ['7 ASCII characters', 'Abcde!1', [TOO_SHORT]],
      ['7 code points but 13 UTF-8 bytes', 'É!' + 'é'.repeat(5), [TOO_SHORT]],
      ['7 code points but 12 UTF-16 units', 'A!' + '😀'.repeat(5), [TOO_SHORT]],
      ['no uppercase letter', 'sunny day!42', [NO_UPPERCASE]],
      ['no special character', 'SunnyDay42', [NO_SPECIAL]],
      ['letters from other scripts only', 'ÉtéÀParis', [NO_SPECIAL]],
      ['every composition rule at once', 'abc', [TOO_SHORT, NO_UPPERCASE, NO_SPECIAL]],
      ['129 characters', 'a'.repeat(129), [TOO_LONG]],
      ['129 code points', 'A!' + '😀'.repeat(127), [TOO_LONG]],
    ])('rejects a password with %s', (_, password, problems) => {
      expect(passwordProblems(password)).toEqual(problems);
    });

    it.each([
      ['8 code points (14 UTF-8 bytes)', 'É!' + 'é'.repeat(6)],
      ['a non-Latin uppercase letter', 'Ωmega-ray'],
      ['a space as its special character', 'Sunny Day42'],
      ['128 characters', 'A!' + 'x'.repeat(126)],
      ['128 code points (254 UTF-16 units)', 'A!' + '😀'.repeat(126)],
    ])('accepts a password with %s', (_, password) => {
      expect(passwordProblems(password)).toEqual([]);
    });

    it('accepts a long password as a whole, without truncating it to a common prefix', () => {
      const password = 'Password1! ' + 'and a sunny day '.repeat(5) + 'Mountains';
      expect([...password]).toHaveLength(100);
      expect(passwordProblems(password)).toEqual([]);
    });

    it('reports composition problems before checking the common list', () => {
      expect(passwordProblems('password')).toEqual([NO_UPPERCASE, NO_SPECIAL]);
    });
  });

  describe('common passwords', () => {
    it.each([
      ['a listed word with a symbol added', 'Iloveyou!'],
      ['a listed word in a different case', 'PASSWORD1!'],
      ['a listed word with a trailing symbol', 'Password1!'],
      ['a listed word with leading symbols', '!!Qwerty123'],
      ['a listed word wrapped in symbols and spaces', '  *Qwerty123#  '],
    ])('rejects %s', (_, password) => {
      expect(passwordProblems(password)).toEqual([COMMON]);
    });

    it('only strips symbols from the ends, not from the middle', () => {
      expect(passwordProblems('Qwe!rty123')).toEqual([]);
    });
  });

  describe('personal words', () => {
    it.each([
      ['the username', 'I am Alice!', { username: 'alice' }],
      ['the username in another case', 'Hello-ALICE-1', { username: 'Alice' }],
      ['the username with stray spaces', 'Hello-alice-1', { username: '  alice  ' }],
      ['the email local part', 'Wonder Bob.Smith!', { email: 'bob.smith@example.com' }],
      ['a 3-character username', 'Go Zed Go!', { username: 'zed' }],
    ])('rejects a password containing %s', (_, password, context) => {
      expect(passwordProblems(password, context)).toEqual([PERSONAL]);
    });

    it.each([
      ['a username shorter than 3 characters', 'Al is great!', { username: 'al' }],
      ['an email local part shorter than 3 characters', 'Jo is great!', { email: 'jo@example.com' }],
      ['the email domain', 'Wonderland!42', { email: 'bob@wonderland.example' }],
      ['an unrelated username and email', 'Sunny Day!42', { username: 'alice', email: 'bob@example.com' }],
    ])('accepts a password despite %s', (_, password, context) => {
      expect(passwordProblems(password, context)).toEqual([]);
    });
  });

  it('accepts a good password', () => {
    expect(passwordProblems('Sunny Day!42', { username: 'alice', email: 'alice@example.com' })).toEqual([]);
  });
});
