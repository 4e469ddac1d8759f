import { Module } from '@nestjs/common';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { PlanModule } from '../plan/plan.module.js';

/** What the command-line tool needs: no HTTP server, no queue workers. */
@Module({ imports: [ConfigModule, DatabaseModule, PlanModule] })
export class CliModule {}
