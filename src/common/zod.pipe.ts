import { BadRequestException, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';

/** Validates a query, body or parameter with a zod schema; a bad value is a 400 naming the field. */
export class ZodPipe<T extends z.ZodType> implements PipeTransform<unknown, z.infer<T>> {
  constructor(private readonly schema: T) {}

  transform(value: unknown, metadata?: ArgumentMetadata): z.infer<T> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: [...new Set(result.error.issues.map((issue) => `${issue.path.join('.') || metadata?.data || 'value'}: ${issue.message}`))],
    });
  }
}
