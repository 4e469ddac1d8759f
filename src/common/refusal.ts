import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';

/**
 * A 4xx a person may read. The API gets the English message (Nest's usual JSON body); a page gets
 * the text under `key` (templates/i18n/<language>/form.json, "problem.*") with `params`, in the
 * person's language. `field` names what was wrong; pages show it by its label ("problem.field.*").
 */
export class Refusal extends HttpException {
  constructor(
    status: number,
    readonly key: string,
    readonly params: Record<string, unknown>,
    message: string,
    readonly field?: string,
  ) {
    super({ statusCode: status, error: STATUS_CODES[status] ?? 'Error', message }, status);
  }
}

export const notFound = (key: string, params: Record<string, unknown>, message: string) => new Refusal(404, key, params, message);
export const badRequest = (field: string, key: string, params: Record<string, unknown>, message: string) =>
  new Refusal(400, key, params, message, field);
