import { Global, Module } from '@nestjs/common';
import { Clock } from './clock.js';
import { RateLimiter } from './rate-limiter.js';
import { SignedLinks } from './signed-links.js';

@Global()
@Module({ providers: [Clock, SignedLinks, RateLimiter], exports: [Clock, SignedLinks, RateLimiter] })
export class CommonModule {}
