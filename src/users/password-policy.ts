import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FieldProblems } from '../common/invalid-input';
import { PROJECT_ROOT } from '../common/project-root';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/** SecLists' 10,000 most common passwords (assets/common-passwords.txt), compared without regard to case. */
const commonPasswords = new Set(
  readFileSync(join(PROJECT_ROOT, 'assets', 'common-passwords.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim().toLowerCase())
    .filter(Boolean),
);

export const PASSWORDS_DIFFER = 'The two passwords do not match.';

/** A new password typed twice (account page, reset link). */
export interface NewPassword {
  password: string;
  confirmPassword: string;
}

export interface PasswordContext {
  username?: string;
  email?: string;
}

/**
 * Photosphere's password policy: 8–128 characters (counted as Unicode code points), at least one uppercase letter
 * and one special character, not one of the 10,000 most common passwords, and not built on the user's own name.
 * Returns every rule the password breaks, in words a person understands; an empty list means it is acceptable.
 * Cheap on purpose: it runs before any hashing, so an overlong password never reaches argon2.
 */
export function passwordProblems(password: string, context: PasswordContext = {}): string[] {
  const length = [...password].length;
  if (length === 0) return ['Enter a password.'];
  if (length > PASSWORD_MAX_LENGTH) return [`Password must be at most ${PASSWORD_MAX_LENGTH} characters.`];
  const problems: string[] = [];
  if (length < PASSWORD_MIN_LENGTH) problems.push(`Password must be at least ${PASSWORD_MIN_LENGTH} characters.`);
  if (!/\p{Lu}/u.test(password)) problems.push('Password must contain at least one uppercase letter.');
  if (!/[^\p{L}\p{N}]/u.test(password)) problems.push('Password must contain at least one special character, such as ! ? # or a space.');
  if (problems.length > 0) return problems;
  if (isCommon(password)) {
    return ['This password is one of the most common passwords. Choose one that is harder to guess.'];
  }
  if (containsPersonalWord(password, context)) {
    return ['Password must not contain your username or the name part of your email address.'];
  }
  return [];
}

/** The policy's problems with a new password; only once it is acceptable, whether the second copy matches it. */
export function newPasswordProblems(input: NewPassword, context: PasswordContext): FieldProblems<keyof NewPassword> {
  const problems = passwordProblems(input.password, context);
  if (problems.length > 0) return { password: problems };
  return input.confirmPassword === input.password ? {} : { confirmPassword: [PASSWORDS_DIFFER] };
}

/**
 * Common passwords rarely pass the composition rules as they are, so the usual disguise is also looked through:
 * a common word with symbols stuck to its ends ("Password1!" is "password1").
 */
function isCommon(password: string): boolean {
  const lower = password.toLowerCase();
  const core = lower.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
  return commonPasswords.has(lower) || commonPasswords.has(core);
}

function containsPersonalWord(password: string, { username, email }: PasswordContext): boolean {
  const lower = password.toLowerCase();
  const words = [username, email?.split('@')[0]].map((word) => word?.trim().toLowerCase() ?? '');
  return words.some((word) => word.length >= 3 && lower.includes(word));
}
