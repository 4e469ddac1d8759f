import { Global, Module } from '@nestjs/common';
import { ClockModule } from './clock.module.js';
import { RateLimiter } from './rate-limiter.js';
import { SignedLinks } from './signed-links.js';

@Global()
@Module({ imports: [ClockModule], providers: [SignedLinks, RateLimiter], exports: [ClockModule, SignedLinks, RateLimiter] })
export class CommonModule {}
