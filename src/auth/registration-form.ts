import { field, FieldErrors } from '../common/http/form-fields';
import { passwordProblems } from './password-policy';

export interface RegistrationValues {
  username: string;
  email: string;
}

export type RegistrationErrors = FieldErrors<'username' | 'email' | 'password'>;

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;
/** Local part @ domain with a dot; no spaces or control characters anywhere. */
const EMAIL = /^[^\s@\p{Cc}]+@[^\s@.\p{Cc}]+(\.[^\s@.\p{Cc}]+)+$/u;
const EMAIL_MAX_LENGTH = 254;

export interface ParsedRegistration {
  values: RegistrationValues;
  password: string;
  errors: RegistrationErrors;
}

/** Reads and checks a username and an email (register form, account page); uniqueness is checked later. */
export function parseProfile(body: unknown): { values: RegistrationValues; errors: FieldErrors<'username' | 'email'> } {
  const values = { username: field(body, 'username').trim(), email: field(body, 'email').trim() };
  const errors: FieldErrors<'username' | 'email'> = {};
  if (!USERNAME.test(values.username)) {
    errors.username = ['Username must be 3–32 characters: letters, digits, _ . or -.'];
  }
  if (values.email.length > EMAIL_MAX_LENGTH || !EMAIL.test(values.email)) {
    errors.email = ['Enter a valid email address, like name@example.com.'];
  }
  return { values, errors };
}

/** Reads and checks the register form; uniqueness is checked later, against the database. */
export function parseRegistration(body: unknown): ParsedRegistration {
  const { values, errors } = parseProfile(body) as { values: RegistrationValues; errors: RegistrationErrors };
  const password = field(body, 'password');
  const problems = passwordProblems(password, values);
  if (problems.length > 0) errors.password = problems;
  return { values, password, errors };
}
