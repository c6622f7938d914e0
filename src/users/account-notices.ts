import { mailMessage } from '../mail/mail-template';
import type { MailMessage } from '../mail/mailer';
import type { Profile } from './account-fields';

/** To the old address after a username or email change, so a hijacked account is noticed. */
export function profileChangedNotice(before: Profile, after: Profile, baseUrl: string): MailMessage {
  const changes = [
    before.username !== after.username ? `username from "${before.username}" to "${after.username}"` : undefined,
    before.email !== after.email ? `email address from ${before.email} to ${after.email}` : undefined,
  ].filter(Boolean);
  return mailMessage({
    to: before.email,
    subject: 'Your Photosphere account was changed',
    heading: 'Your account details were changed',
    paragraphs: [
      `The ${changes.join(' and the ')} of your Photosphere account were just changed.`,
      'If this was not you, tell an administrator of this Photosphere at once: they can disable the account and send a password reset link.',
    ],
    action: { label: 'Open Photosphere', url: baseUrl },
  });
}

/** After every password change, however it was made (account page, reset link). */
export function passwordChangedNotice(user: Profile, baseUrl: string): MailMessage {
  return mailMessage({
    to: user.email,
    subject: 'Your Photosphere password was changed',
    heading: 'Your password was changed',
    paragraphs: [
      `The password of your Photosphere account "${user.username}" was just changed, and the account was signed out on every other device.`,
      'If this was not you, reset your password at once with the link below.',
    ],
    action: { label: 'Reset my password', url: `${baseUrl}/forgot-password` },
  });
}
