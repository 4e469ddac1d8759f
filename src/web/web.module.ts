import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { I18nModule } from '../i18n/i18n.module.js';
import { PageErrorFilter } from './page-error.filter.js';
import { PageRenderer } from './page-renderer.js';

/** Pages' errors as pages: every error a browser meets is an HTML page in the reader's language. */
@Module({
  imports: [I18nModule],
  providers: [PageRenderer, { provide: APP_FILTER, useClass: PageErrorFilter }],
})
export class WebModule {}
