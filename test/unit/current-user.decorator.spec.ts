import { ExecutionContext } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import type { Request } from 'express';
import { CurrentUser } from '../../src/common/http/current-user.decorator';
import { LoginRequiredException } from '../../src/common/http/login-required.exception';

/** What Nest calls to fill a @CurrentUser() parameter. */
function currentUserFactory(): (data: unknown, context: ExecutionContext) => unknown {
  class Handler {
    handle(@CurrentUser() _user: Express.User) {}
  }
  const args: Record<string, { factory: (data: unknown, context: ExecutionContext) => unknown }> = Reflect.getMetadata(
    ROUTE_ARGS_METADATA,
    Handler,
    'handle',
  );
  return Object.values(args)[0].factory;
}

const contextOf = (req: Partial<Request>) => ({ switchToHttp: () => ({ getRequest: () => req }) }) as unknown as ExecutionContext;

describe('@CurrentUser()', () => {
  const sut = currentUserFactory();

  it("gives the request's logged-in user", () => {
    const user: Express.User = { id: 'u1', username: 'ada', email: 'ada@example.com', role: 'user' };
    expect(sut(undefined, contextOf({ user }))).toBe(user);
  });

  it('sends a request without one to log in', () => {
    expect(() => sut(undefined, contextOf({}))).toThrow(LoginRequiredException);
  });
});
