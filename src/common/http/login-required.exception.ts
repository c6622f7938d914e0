import { UnauthorizedException } from '@nestjs/common';

/** Thrown for a request without a logged-in user; the HTML filter turns it into a trip to /login. */
export class LoginRequiredException extends UnauthorizedException {
  constructor() {
    super('Please log in to continue.');
  }
}
