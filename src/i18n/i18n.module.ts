import { Module } from '@nestjs/common';
import { AppConfig } from '../config/config.module.js';
import { I18n } from './i18n.js';

/**
 * The translation system for Nest: one I18n (src/i18n/i18n.ts) over templates/i18n, with dates
 * in the configured zone (TZ), read at boot so a malformed file stops the service. Code outside
 * Nest (the mail compose threads, scripts) uses the same class through i18n() or t().
 */
@Module({
  providers: [{ provide: I18n, useFactory: (config: AppConfig) => I18n.load({ timeZone: config.get('TZ') }), inject: [AppConfig] }],
  exports: [I18n],
})
export class I18nModule {}
