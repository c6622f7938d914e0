import { EntityManager } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { Clock, CLOCK } from '../common/time/clock';
import { Setting } from '../settings/setting.entity';
import type { Role } from '../common/http/roles.decorator';
import type { User } from '../users/user.entity';
import { UserRepository } from '../users/user.repository';
import { NewAccount, UsersService } from '../users/users.service';
import { firstAccountIsAdmin } from './first-admin';
import { InvitationsService, InvitationUnavailableError } from './invitations.service';

export const REGISTRATION_MODES = ['open', 'invite', 'closed'] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

const MODE_SETTING = 'registration_mode';

/** Who may register right now, decided from the database on every request so every instance agrees at once. */
export interface RegistrationAccess {
  allowed: boolean;
  mode: RegistrationMode;
  /** The instance has no account yet: this one becomes admin, and registration is open for it whatever the mode. */
  firstAccount: boolean;
  /** Allowed by a valid invitation (which registering uses up). */
  invited: boolean;
}

/** Registration is not open to this visitor (mode, invitation used up or expired meanwhile). */
export class RegistrationClosedError extends Error {}

/**
 * Who may create an account, and creating it: the registration mode (open, invite-only, closed), invitations, and the
 * first-admin rule (the instance's first account becomes its admin).
 */
@Injectable()
export class RegistrationService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly userRows: UserRepository,
    private readonly invitations: InvitationsService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async mode(): Promise<RegistrationMode> {
    const setting = await this.em.fork().findOne(Setting, { name: MODE_SETTING });
    return REGISTRATION_MODES.find((mode) => mode === setting?.value) ?? 'open';
  }

  async setMode(mode: RegistrationMode): Promise<void> {
    await this.em.upsert(Setting, { name: MODE_SETTING, value: mode });
  }

  async access(invitationHash: string | undefined): Promise<RegistrationAccess> {
    const [mode, firstAccount] = await Promise.all([this.mode(), this.userRows.isEmpty()]);
    if (firstAccount) return { allowed: true, mode, firstAccount, invited: false };
    if (mode === 'open') return { allowed: true, mode, firstAccount, invited: false };
    const invited = mode === 'invite' && (await this.invitations.isValid(invitationHash));
    return { allowed: invited, mode, firstAccount, invited };
  }

  /**
   * Registers if the mode allows it (checked again here, not only when the page was shown): RegistrationClosedError
   * if not, InvalidInputError if a field must change. In invite-only mode the invitation is used up in the same
   * transaction that creates the account.
   */
  async register(account: NewAccount, invitationHash: string | undefined): Promise<User> {
    const access = await this.access(invitationHash);
    if (!access.allowed) throw new RegistrationClosedError();
    try {
      return await this.users.create(account, {
        role: firstAccountIsAdmin(this.clock.now()),
        beforeCommit: access.invited ? (em, user) => this.invitations.claim(em, invitationHash, user.id) : undefined,
      });
    } catch (error) {
      if (error instanceof InvitationUnavailableError) throw new RegistrationClosedError();
      throw error;
    }
  }

  /**
   * An account made by an operator (`npm run cli -- create-user`), whatever the mode. Without a role the first-admin
   * rule applies, so the first account of an instance still becomes its admin.
   */
  async createAccount(account: NewAccount, role?: Role): Promise<User> {
    return this.users.create(account, { role: role ?? firstAccountIsAdmin(this.clock.now()) });
  }
}
