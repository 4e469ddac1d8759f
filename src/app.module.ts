import { Module } from '@nestjs/common';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { PlanModule } from './plan/plan.module.js';
import { RedisModule } from './queue/redis.module.js';

/** The service: infrastructure first, then the capabilities, then the doors. */
@Module({
  imports: [ConfigModule.forRoot(), DatabaseModule, RedisModule, PlanModule, HealthModule],
})
export class AppModule {}
