import { Global, Module } from '@nestjs/common';
import { CLOCK, systemClock } from './clock';

/** Provides the one CLOCK everywhere (tests override it with a fake one). */
@Global()
@Module({ providers: [{ provide: CLOCK, useValue: systemClock }], exports: [CLOCK] })
export class ClockModule {}
