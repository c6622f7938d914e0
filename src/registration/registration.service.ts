import { EntityManager } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { Setting } from '../settings/setting.entity';
import { UsersService } from '../users/users.service';
import { InvitationsService } from './invitations.service';

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

@Injectable()
export class RegistrationService {
  constructor(
    private readonly em: EntityManager,
    private readonly users: UsersService,
    private readonly invitations: InvitationsService,
  ) {}

  async mode(): Promise<RegistrationMode> {
    const setting = await this.em.fork().findOne(Setting, { name: MODE_SETTING });
    return REGISTRATION_MODES.find((mode) => mode === setting?.value) ?? 'open';
  }

  async setMode(mode: RegistrationMode): Promise<void> {
    await this.em.upsert(Setting, { name: MODE_SETTING, value: mode });
  }

  async access(invitationHash: string | undefined): Promise<RegistrationAccess> {
    const [mode, firstAccount] = await Promise.all([this.mode(), this.users.isEmpty()]);
    if (firstAccount) return { allowed: true, mode, firstAccount, invited: false };
    if (mode === 'open') return { allowed: true, mode, firstAccount, invited: false };
    const invited = mode === 'invite' && (await this.invitations.isValid(invitationHash));
    return { allowed: invited, mode, firstAccount, invited };
  }
}
