import { Module } from '@nestjs/common';
import { AppConfig } from '../config/config.module.js';
import { FileStore } from './file-store.js';
import { FilesystemFileStore } from './filesystem-file-store.js';

/** The file store kept files go to: a folder (STORAGE_DIR) today; another store is one provider away. */
@Module({
  providers: [
    { provide: FileStore, inject: [AppConfig], useFactory: (config: AppConfig) => new FilesystemFileStore(config.get('STORAGE_DIR')) },
  ],
  exports: [FileStore],
})
export class StorageModule {}
