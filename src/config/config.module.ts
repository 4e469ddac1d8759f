import { Global, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule as NestConfigModule, ConfigService } from '@nestjs/config';
import { validateConfiguration, type Configuration } from './configuration.js';

/** Typed access to the validated configuration: `config.get('PORT')` is a number. */
@Injectable()
export class AppConfig {
  constructor(private readonly config: ConfigService<Configuration, true>) {}

  get<K extends keyof Configuration>(key: K): Configuration[K] {
    return this.config.get(key, { infer: true });
  }
}

/**
 * The environment is validated when the application is created (a `load` factory), not when
 * this file is imported, so each test can start an app with its own environment. ConfigService
 * reads only the validated values (skipProcessEnv), never raw strings from process.env.
 */
@Global()
@Module({})
export class ConfigModule {
  /** `env` defaults to process.env, read when the application is created. */
  static forRoot(env?: Record<string, string | undefined>): DynamicModule {
    return {
      module: ConfigModule,
      imports: [
        NestConfigModule.forRoot({
          ignoreEnvFile: true,
          skipProcessEnv: true,
          load: [() => validateConfiguration(env ?? process.env)],
        }),
      ],
      providers: [AppConfig],
      exports: [AppConfig],
    };
  }
}
