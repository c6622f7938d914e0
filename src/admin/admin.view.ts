import { dateFormat, dateTimeFormat } from '../common/views/dates';
import { storageUsageView } from '../users/storage-usage.view';
import { Invitation } from '../registration/invitation.entity';
import { User } from '../users/user.entity';

const MB = 1024 * 1024;

/** One account as the admin pages show it. */
export function userRow({ user, photoCount }: { user: User; photoCount: number }) {
  const storage = storageUsageView(user);
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    role: user.role === 'admin' ? 'Admin' : 'User',
    isAdmin: user.role === 'admin',
    disabled: user.disabledAt !== null,
    created: dateFormat.format(user.createdAt),
    lastLogin: user.lastLoginAt ? dateTimeFormat.format(user.lastLoginAt) : 'Never',
    photoCount,
    photos: photoCount === 0 ? 'no photos' : photoCount === 1 ? '1 photo' : `${photoCount} photos`,
    used: storage.used,
    quota: storage.quota ?? 'No limit',
    storage,
    /** The quota form's value: whole MB, empty for no limit. */
    quotaMb: user.quotaBytes === null ? '' : String(Math.round(user.quotaBytes / MB)),
  };
}

export function invitationRow(invitation: Invitation, usernames: Map<string, string>, now: Date) {
  const used = invitation.usedAt !== null;
  const expired = !used && invitation.expiresAt < now;
  return {
    id: invitation.id,
    created: dateTimeFormat.format(invitation.createdAt),
    expires: dateTimeFormat.format(invitation.expiresAt),
    createdBy: usernames.get(invitation.createdById) ?? 'a deleted account',
    state: used ? `Used by ${usernames.get(invitation.usedById ?? '') ?? 'a deleted account'}` : expired ? 'Expired' : 'Waiting',
    pending: !used && !expired,
  };
}

/** The quota form field: whole megabytes, or empty for no limit. Undefined when it is neither. */
export function parseQuotaMb(value: string): number | null | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if (!/^\d{1,9}$/.test(trimmed)) return undefined;
  return Number(trimmed) * MB;
}
