import { hasControlCharacter } from '../common/control-characters';
import { FieldProblems } from '../common/invalid-input';

/** A person's username and email address, as they typed them. */
export interface Profile {
  username: string;
  email: string;
}

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;
/** Local part @ domain with a dot; no spaces or control characters anywhere. */
const EMAIL = /^[^\s@\p{Cc}]+@[^\s@.\p{Cc}]+(\.[^\s@.\p{Cc}]+)+$/u;
const EMAIL_MAX_LENGTH = 254;

export const USERNAME_INVALID = 'Username must be 3–32 characters: letters, digits, _ . or -.';
export const EMAIL_INVALID = 'Enter a valid email address, like name@example.com.';
export const USERNAME_TAKEN = 'That username is already taken. Choose another one.';
export const EMAIL_TAKEN = 'An account with this email already exists. Log in, or reset its password.';

/** Stored trimmed and in lower case, so an address is unique (and found) whatever its letter case. */
export const normaliseEmail = (email: string) => email.trim().toLowerCase();
/** The lower-cased username: uniqueness and login are case-insensitive on every database. */
export const usernameKeyOf = (username: string) => username.trim().toLowerCase();

/** The same profile with surrounding spaces removed, as it is checked and stored. */
export function trimmedProfile(profile: Profile): Profile {
  return { username: profile.username.trim(), email: profile.email.trim() };
}

/** What breaks the format rules of a username and an email address (whether they are taken is checked apart). */
export function profileProblems(profile: Profile): FieldProblems<keyof Profile> {
  const { username, email } = trimmedProfile(profile);
  const problems: FieldProblems<keyof Profile> = {};
  if (!USERNAME.test(username)) problems.username = [USERNAME_INVALID];
  if (email.length > EMAIL_MAX_LENGTH || !EMAIL.test(email)) problems.email = [EMAIL_INVALID];
  return problems;
}

/** Whether a login name can belong to any account at all; lookups skip the database when it cannot. */
export function couldBeAnIdentifier(identifier: string): boolean {
  const value = identifier.trim();
  // No username or email holds one (the rules above refuse them); SQLite cannot even be asked about a NUL.
  return value !== '' && !hasControlCharacter(value);
}
