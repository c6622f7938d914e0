import { EntityManager } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { hashToken, newSecretToken } from '../common/secret-token';
import { Clock, CLOCK } from '../common/time/clock';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Invitation } from './invitation.entity';

export const INVITATION_DAYS = [1, 7, 30] as const;
const DAY_MS = 24 * 3_600_000;

export class InvitationUnavailableError extends Error {}

/**
 * Single-use invitation links: 32 random bytes in the link, only their SHA-256 in the database, valid until their
 * expiry and used up by the registration they allow (in the same transaction as the new account).
 */
@Injectable()
export class InvitationsService {
  constructor(
    private readonly em: EntityManager,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** A new link; the token exists only in the returned link, never in the database or the logs. */
  async create(createdById: string, days: number): Promise<{ link: string; invitation: Invitation }> {
    const token = newSecretToken();
    const now = this.clock.now();
    const invitation = this.em.create(Invitation, {
      tokenHash: hashToken(token),
      createdById,
      createdAt: now,
      expiresAt: new Date(now.getTime() + days * DAY_MS),
    });
    await this.em.flush();
    return { link: `${this.config.baseUrl}/invite/${token}`, invitation };
  }

  /** The newest invitations first, used and expired ones included, so the admin sees what became of them. */
  async recent(limit = 20): Promise<Invitation[]> {
    return this.em.find(Invitation, {}, { orderBy: { createdAt: 'desc', id: 'desc' }, limit });
  }

  async revoke(id: string): Promise<boolean> {
    return (await this.em.nativeDelete(Invitation, { id, usedAt: null })) > 0;
  }

  async isValid(tokenHash: string | undefined): Promise<boolean> {
    if (!tokenHash) return false;
    return (await this.em.count(Invitation, { tokenHash, usedAt: null, expiresAt: { $gte: this.clock.now() } })) > 0;
  }

  /** The account is being deleted: the invitations it made that were never used stop working. */
  async deleteAllOf(em: EntityManager, userId: string): Promise<void> {
    await em.nativeDelete(Invitation, { createdById: userId, usedAt: null });
  }

  /**
   * Uses the invitation up for the new account, in the caller's transaction: one conditional UPDATE, so of two
   * registrations racing for the same link exactly one succeeds.
   */
  async claim(em: EntityManager, tokenHash: string | undefined, userId: string): Promise<void> {
    const now = this.clock.now();
    const claimed = tokenHash
      ? await em.nativeUpdate(Invitation, { tokenHash, usedAt: null, expiresAt: { $gte: now } }, { usedAt: now, usedById: userId })
      : 0;
    if (claimed !== 1) throw new InvitationUnavailableError();
  }
}
