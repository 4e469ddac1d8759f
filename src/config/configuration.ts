import { z } from 'zod';

/**
 * Every setting the service reads, validated once at boot. A missing or malformed variable stops
 * the service with a message that names it, instead of failing later in some corner.
 */
const url = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => ['true', '1', 'yes'].includes(value));

export const configurationSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    DATABASE_URL: url(['postgres:', 'postgresql:']),
    REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** The address people reach the service at; every link in an email is built from it, never from a request's Host. */
    PUBLIC_URL: url(['http:', 'https:']).optional(),
    /** smtp://user:pass@host:port or smtps://…; without it mail goes to the local development outbox. */
    SMTP_URL: url(['smtp:', 'smtps:']).optional(),
    MAIL_FROM: z.string().email().default('handlingsplan@example.org'),
    /** Domain of the reply addresses (reports+<key>@INBOUND_DOMAIN). */
    INBOUND_DOMAIN: z
      .string()
      .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/i, 'must be a domain name such as reports.example.org')
      .default('reports.example.org'),
    /** Where escalations and pending summaries go. */
    SECRETARIAT_EMAIL: z.string().email().default('secretariat@example.org'),
    /** Which parts this process runs: the HTTP API, the queue worker, or both. */
    PROCESS_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
    /** Prefix of every BullMQ key; the braces make it a Redis Cluster hash tag. */
    QUEUE_PREFIX: z.string().min(1).default('{handlingsplan}'),
    TZ: z.string().default('Europe/Copenhagen'),
    LOG_JSON: boolean.default(false),
  })
  .transform((env) => ({ ...env, PUBLIC_URL: env.PUBLIC_URL ?? `http://localhost:${env.PORT}` }));

export type Configuration = z.infer<typeof configurationSchema>;

export class ConfigurationError extends Error {}

/** Validates the environment; the error lists every bad variable with what was expected. */
export function validateConfiguration(env: Record<string, unknown>): Configuration {
  const result = configurationSchema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const given = env[name];
    const message = given === undefined ? 'is required but not set' : issue.message;
    return `  ${name}: ${message}`;
  });
  throw new ConfigurationError(`Invalid configuration:\n${lines.join('\n')}`);
}
