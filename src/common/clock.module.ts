import { Global, Module } from '@nestjs/common';
import { Clock } from './clock.js';

/** The clock on its own, for processes that need no more of the common module (the CLI). */
@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
