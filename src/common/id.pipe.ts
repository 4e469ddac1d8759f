import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { z } from 'zod';
import { badRequest } from './refusal.js';

/** The largest id a column holds (PostgreSQL int4). */
export const MAX_ID = 2_147_483_647;

/** An id in a query or body: a whole number a column can hold. */
export const idSchema = (what: string) =>
  z.coerce
    .number({ message: `must be ${what}` })
    .int(`must be ${what}`)
    .positive(`must be ${what}`)
    .max(MAX_ID, `must be ${what}`);

/** An id in a path (`/rounds/:id`): digits only, 1 to 2,147,483,647; anything else is a 400 naming the parameter. */
export class IdPipe implements PipeTransform<string, number> {
  transform(value: string, metadata: ArgumentMetadata): number {
    const id = /^[1-9][0-9]{0,9}$/.test(value) ? Number(value) : NaN;
    if (Number.isSafeInteger(id) && id <= MAX_ID) return id;
    const field = metadata.data ?? 'id';
    throw badRequest(field, 'problem.id', { max: MAX_ID }, `${field}: must be a whole number from 1 to ${MAX_ID.toLocaleString('en')}.`);
  }
}
