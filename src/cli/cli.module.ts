import { Module, type DynamicModule } from '@nestjs/common';
import { ClockModule } from '../common/clock.module.js';
import { ConfigModule } from '../config/config.module.js';
import { DatabaseModule } from '../database/database.module.js';
import { AuthRepository } from '../auth/auth.repository.js';
import { UsersService } from '../auth/users.service.js';
import { PlanModule } from '../plan/plan.module.js';

/** What the command-line tool needs: no HTTP server, no queue workers. */
@Module({})
export class CliModule {
  static forEnvironment(env: Record<string, string | undefined>): DynamicModule {
    return {
      module: CliModule,
      imports: [ConfigModule.forRoot(env), ClockModule, DatabaseModule, PlanModule],
      providers: [AuthRepository, UsersService],
    };
  }
}
