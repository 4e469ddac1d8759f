import { Global, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AuthGuard } from './auth.guard.js';
import { AuthRepository } from './auth.repository.js';
import { AuthService } from './auth.service.js';
import { SignInRequiredFilter } from './sign-in-required.filter.js';
import { UsersService } from './users.service.js';

@Global()
@Module({
  providers: [
    AuthRepository,
    AuthService,
    UsersService,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: SignInRequiredFilter },
  ],
  exports: [AuthService, UsersService],
})
export class AuthModule {}
