import { unstorableText } from './text.js';
import { BadRequestException, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';

/** Validates a query, body or parameter with a zod schema; a bad value is a 400 naming the field. */
export class ZodPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(private readonly schema: T) {}

  transform(value: unknown, metadata?: ArgumentMetadata): z.infer<T> {
    // Text PostgreSQL cannot store is refused here, by name, rather than failing in the database.
    const unstorable = findUnstorable(value, metadata?.data ? [metadata.data] : []);
    if (unstorable) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: [
          `${unstorable.path}: must not contain ${unstorable.found === 'NUL' ? 'NUL characters' : 'broken characters (unpaired surrogates)'}`,
        ],
      });
    }
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: [...new Set(result.error.issues.map((issue) => `${issue.path.join('.') || metadata?.data || 'value'}: ${issue.message}`))],
    });
  }
}

/** The first string in a value that PostgreSQL cannot store, with its path (answers.0.comment). */
function findUnstorable(value: unknown, path: string[]): { path: string; found: 'NUL' | 'surrogate' } | null {
  if (typeof value === 'string') {
    const found = unstorableText(value);
    return found ? { path: path.join('.') || 'value', found } : null;
  }
  if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const found = findUnstorable(item, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}
