import { EntityManager } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { hashToken, newSecretToken } from '../common/secret-token';
import { Clock, CLOCK } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { PasswordReset } from './password-reset.entity';
import { User } from './user.entity';

/** The link was used, superseded or expired between showing the form and submitting it. */
export class ResetLinkUsedUpError extends Error {}

/**
 * Password reset links, a credential of the account: 32 random bytes, stored only as their SHA-256, valid for
 * PASSWORD_RESET_MINUTES, used once, superseded by a newer one and voided whenever the password or the email changes
 * (UsersService says when).
 */
@Injectable()
export class PasswordResetLinks {
  private readonly validForMs: number;

  constructor(
    private readonly em: EntityManager,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) { passwordResetMs }: AppConfig,
  ) {
    this.validForMs = passwordResetMs;
  }

  /**
   * A new link's token for the user, replacing any earlier link; the token itself is stored nowhere. `withLink` runs
   * in the same transaction (it queues the mail that carries the link, so there is never one without the other).
   */
  async issue(userId: string, withLink?: (em: EntityManager, token: string) => void): Promise<string> {
    const token = newSecretToken();
    const expiresAt = new Date(this.clock.now().getTime() + this.validForMs);
    await this.em.transactional(async (em) => {
      await em.nativeDelete(PasswordReset, { userId });
      em.create(PasswordReset, { tokenHash: hashToken(token), userId, expiresAt });
      withLink?.(em, token);
    });
    return token;
  }

  /** The account a still-valid link belongs to, or null (unknown, used, superseded or expired). */
  async accountFor(tokenHash: string | undefined): Promise<User | null> {
    if (!tokenHash) return null;
    const reset = await this.em.findOne(PasswordReset, { tokenHash, expiresAt: { $gte: this.clock.now() } });
    return reset ? this.em.findOne(User, { id: reset.userId }) : null;
  }

  /**
   * Uses the link up in the caller's transaction: one conditional DELETE, so of two requests racing with the same
   * link exactly one goes on (the other gets ResetLinkUsedUpError).
   */
  async useUp(em: EntityManager, tokenHash: string): Promise<void> {
    const used = await em.nativeDelete(PasswordReset, { tokenHash, expiresAt: { $gte: this.clock.now() } });
    if (used !== 1) throw new ResetLinkUsedUpError();
  }

  async deleteAllOf(em: EntityManager, userId: string): Promise<void> {
    await em.nativeDelete(PasswordReset, { userId });
  }
}
