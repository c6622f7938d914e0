import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { Clock, CLOCK } from '../time/clock';
import { ClockThrottlerStorage } from './clock-throttler.storage';
import { MINUTE } from './rate-limit.decorator';

/**
 * Rate limits by client IP (`req.ip`, which honours TRUST_PROXY — a spoofed X-Forwarded-For changes nothing unless a
 * proxy is trusted). Counters live in this process's memory; see the README for several instances.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [CLOCK],
      useFactory: (clock: Clock) => ({
        throttlers: [{ name: 'default', ttl: MINUTE, limit: 10 }],
        storage: new ClockThrottlerStorage(clock),
        errorMessage: (_context, detail) => `Too many attempts. Please wait ${waitText(detail.timeToBlockExpire)} and try again.`,
      }),
    }),
  ],
  exports: [ThrottlerModule],
})
export class ThrottleModule {}

export function waitText(seconds: number): string {
  if (seconds <= 60) return seconds <= 1 ? 'a second' : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? 'a minute' : `${minutes} minutes`;
}
