import { field } from '../common/http/form-fields';
import type { NewAccount } from '../users/users.service';

/** The register form (and the original app's field names): username, email, password. */
export function newAccountFrom(body: unknown): NewAccount {
  return { username: field(body, 'username'), email: field(body, 'email'), password: field(body, 'password') };
}
