import { Global, Module } from '@nestjs/common';
import { Clock } from './clock.js';
import { SignedLinks } from './signed-links.js';

@Global()
@Module({ providers: [Clock, SignedLinks], exports: [Clock, SignedLinks] })
export class CommonModule {}
