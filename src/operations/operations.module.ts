import { Module } from '@nestjs/common';
import { QueueBoard } from './queue-board.js';

@Module({ providers: [QueueBoard], exports: [QueueBoard] })
export class OperationsModule {}
