import { Injectable } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { PlanFileError, readPlanFile } from './plan-file.reader.js';
import { PlanWriterRepository, type ImportReport } from './plan-writer.repository.js';

/** `plan import`: the whole file is checked first; then it is written in one transaction, or not at all. */
@Injectable()
export class PlanImportService {
  constructor(private readonly writer: PlanWriterRepository) {}

  async importFile(path: string): Promise<ImportReport> {
    let content: string;
    try {
      content = await readFile(path, 'utf8');
    } catch (error) {
      throw new PlanFileError([
        { file: path, path: '', message: `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` },
      ]);
    }
    return this.importText(content, path);
  }

  importText(content: string, file = '(input)'): Promise<ImportReport> {
    return this.writer.write(readPlanFile(content, file));
  }
}
