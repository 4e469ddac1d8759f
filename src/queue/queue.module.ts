import { Global, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { QueueService } from './queue.service.js';
import { RedisService } from './redis.service.js';

@Global()
@Module({ imports: [ScheduleModule.forRoot()], providers: [RedisService, QueueService], exports: [RedisService, QueueService] })
export class QueueModule {}
