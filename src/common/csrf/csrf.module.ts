import { Global, Module } from '@nestjs/common';
import { CsrfTokens } from './csrf-tokens';

/** Provides CsrfTokens everywhere: the CSRF guard, the pages' forms and the multipart upload reader use it. */
@Global()
@Module({ providers: [CsrfTokens], exports: [CsrfTokens] })
export class CsrfModule {}
