import { z } from 'zod';

/**
 * Every setting the service reads, validated once at boot. A missing or malformed variable stops
 * the service with a message that names it, instead of failing later in some corner.
 */
const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
  );

const days = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, context) => {
      const parts = value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean);
      const numbers = parts.map(Number);
      if (numbers.some((n) => !Number.isInteger(n))) {
        context.addIssue({ code: 'custom', message: 'must be a comma-separated list of whole days, e.g. -7,-1,3' });
        return z.NEVER;
      }
      return [...new Set(numbers)].sort((a, b) => a - b);
    });

/** The kinds of file that can be kept as evidence (src/evidence/file-kinds.ts recognises each by its content). */
export const FILE_KINDS = ['pdf', 'docx', 'xlsx', 'png', 'jpeg'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

const boolean = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((value) => ['true', '1', 'yes'].includes(value));

export const configurationSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    DATABASE_URL: url(['postgres:', 'postgresql:']),
    REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
    /** A Redis Cluster instead of one Redis: some of its nodes, comma-separated URLs; REDIS_URL is then unused. */
    REDIS_CLUSTER_NODES: z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((node) => node.trim())
          .filter(Boolean),
      )
      .pipe(z.array(url(['redis:', 'rediss:'])).min(1, 'must list at least one node, e.g. redis://10.0.0.1:6379,redis://10.0.0.2:6379'))
      .optional(),
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
    /** Where escalations and pending summaries go (comma-separated for several). */
    SECRETARIAT_EMAIL: z
      .string()
      .default('secretariat@example.org')
      .transform((value) =>
        value
          .split(',')
          .map((address) => address.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().email('must be email addresses, comma-separated')).min(1)),
    SECRETARIAT_LANGUAGE: z.enum(['da', 'sv', 'nb', 'fi', 'en']).default('da'),
    /** Who gets the "annual report ready" mail (comma-separated); unset: SECRETARIAT_EMAIL. */
    REPORT_RECIPIENTS: z
      .string()
      .transform((value) =>
        value
          .split(',')
          .map((address) => address.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().email('must be email addresses, comma-separated')).min(1))
      .optional(),
    /** The annual report for the previous year is made by itself from this day (MM-DD) on, and when a round closes. */
    ANNUAL_REPORT_ON: z
      .string()
      .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'must be MM-DD, e.g. 01-05')
      .default('01-05'),
    ANNUAL_REPORT_AUTO: boolean.default(true),
    /** The Chromium that prints annual reports to PDF (Debian's package puts it here). */
    CHROMIUM_PATH: z.string().min(1).default('/usr/bin/chromium'),
    /** Signs answer links (HMAC); at least 32 characters. `npm run up` makes one in var/app-secret. */
    APP_SECRET: z.string().min(32, 'must be at least 32 characters (e.g. `openssl rand -hex 32`)').optional(),
    /** Days relative to the deadline at which reminders go out; negative is before, positive is "overdue". */
    REMINDER_DAYS: days('-7,-1,3'),
    /** Days after the deadline at which the secretariat gets the escalation. */
    ESCALATION_DAYS: z.coerce.number().int().min(0).default(10),
    /** Days after the deadline during which late answers are accepted; the round closes then. */
    GRACE_DAYS: z.coerce.number().int().min(0).default(14),
    /** How long after closing the secretariat can still reopen (or extend) a round. */
    ROUND_REOPEN_DAYS: z.coerce.number().int().min(0).max(366).default(30),
    /** A reminder to an organisation within this many hours of the last one needs the secretariat's confirmation. */
    REMINDER_QUIET_HOURS: z.coerce
      .number()
      .int()
      .min(0)
      .max(24 * 30)
      .default(24),
    /** How long the signed links in the "annual report ready" mail work. */
    REPORT_LINK_DAYS: z.coerce.number().int().min(1).max(366).default(30),
    /** The yearly round: it opens on this day (MM-DD) for the current year with the deadline on DEADLINE_DAY. */
    ROUND_OPENS_ON: z
      .string()
      .regex(/^\d{2}-\d{2}$/, 'must be MM-DD, e.g. 11-01')
      .default('11-01'),
    ROUND_DEADLINE_ON: z
      .string()
      .regex(/^\d{2}-\d{2}$/, 'must be MM-DD, e.g. 12-01')
      .default('12-01'),
    /** Turn the yearly round off (rounds are then only made through the API). */
    YEARLY_ROUND: boolean.default(true),
    /** When the daily digest of followed changes goes out (HH:MM in TZ). */
    FOLLOW_DIGEST_AT: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour), e.g. 07:00')
      .default('07:00'),
    /** How often the scheduler advances rounds and the reconciler looks for stranded mail. */
    TICK_SECONDS: z.coerce.number().int().min(1).default(60),
    /** SMTP: messages per second at most (0: no limit), pool size, and how long to wait for a silent server. */
    SMTP_RATE_PER_SECOND: z.coerce.number().min(0).default(10),
    SMTP_POOL_SIZE: z.coerce.number().int().min(1).default(5),
    SMTP_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    /** Delivery attempts before a message is given up (4xx and network errors are retried). */
    MAIL_ATTEMPTS: z.coerce.number().int().min(1).default(8),
    MAIL_BACKOFF_MS: z.coerce.number().int().min(0).default(30_000),
    /** Threads that render and build outgoing mail beside the delivery worker (0: on its own thread). */
    MAIL_COMPOSE_THREADS: z.coerce.number().int().min(0).max(16).default(1),
    /** The built-in SMTP listener for replies: off unless a port is given (0 picks a free one). */
    INBOUND_SMTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    INBOUND_SMTP_HOST: z.string().default('0.0.0.0'),
    /**
     * The inbound-mail webhook needs it as a bearer token (set the same in the mail provider). In
     * production the webhook is off without it, since anyone could post a forged reply.
     */
    INBOUND_WEBHOOK_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    /**
     * The authserv-ids (RFC 8601) of the relays whose Authentication-Results header the webhook
     * trusts, comma-separated, e.g. mx.google.com; results stamped by anyone else are ignored.
     */
    INBOUND_TRUSTED_RELAYS: z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((relay) => relay.trim().toLowerCase())
          .filter(Boolean),
      )
      .pipe(z.array(z.string().regex(/^[a-z0-9.-]+$/, 'must be host names (authserv-ids), comma-separated'))),
    /**
     * Express's "trust proxy": how many proxies (a number), or which (loopback, addresses, subnets),
     * stand before the service, so client addresses and https are read from X-Forwarded-* headers.
     */
    TRUST_PROXY: z
      .string()
      .optional()
      .transform((value) =>
        value === undefined || value === '' ? false : /^\d+$/.test(value) ? Number(value) : value === 'true' ? true : value,
      ),
    /** Largest reply accepted, by SMTP or by the webhook. */
    INBOUND_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(32 * 1024 * 1024),
    /** Where kept files (reply attachments, uploads) are stored: outside the web root, never served as a folder. */
    STORAGE_DIR: z.string().min(1).default('var/storage'),
    /** Largest file kept, from a reply or an upload; a larger one is refused with the reason. */
    UPLOAD_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024)
      .default(10 * 1024 * 1024),
    /** Most files kept from one form submission or one reply. */
    UPLOAD_MAX_FILES: z.coerce.number().int().min(1).max(100).default(10),
    /** The kinds of file kept, recognised by their content (magic bytes), comma-separated. */
    UPLOAD_TYPES: z
      .string()
      .default(FILE_KINDS.join(','))
      .transform((value) =>
        value
          .split(',')
          .map((kind) => kind.trim().toLowerCase())
          .filter(Boolean),
      )
      .pipe(z.array(z.enum(FILE_KINDS, { message: `must be some of ${FILE_KINDS.join(', ')}, comma-separated` })).min(1)),
    /** Wrong answer-link tokens allowed per client address within 15 minutes before 429. */
    TOKEN_FAILURES_PER_IP: z.coerce.number().int().min(1).default(20),
    /** Without SMTP_URL, mail is written here as .eml files. */
    MAIL_OUTBOX_DIR: z.string().default('var/outbox'),
    /** Which parts this process runs: the HTTP API, the queue worker, or both. */
    PROCESS_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
    /** Prefix of every BullMQ key; the braces make it a Redis Cluster hash tag. */
    QUEUE_PREFIX: z.string().min(1).default('{handlingsplan}'),
    TZ: z.string().default('Europe/Copenhagen'),
    LOG_JSON: boolean.default(false),
  })
  .superRefine((env, context) => {
    // On a cluster every key of a queue must hash to one slot (BullMQ's scripts touch several).
    if (env.REDIS_CLUSTER_NODES && !/\{[^}]+\}/.test(env.QUEUE_PREFIX)) {
      context.addIssue({
        code: 'custom',
        path: ['QUEUE_PREFIX'],
        message: 'must contain a {hash tag}, e.g. {handlingsplan}, when REDIS_CLUSTER_NODES is set',
      });
    }
    if (env.NODE_ENV === 'production' && !env.APP_SECRET) {
      context.addIssue({ code: 'custom', path: ['APP_SECRET'], message: 'is required in production (e.g. `openssl rand -hex 32`)' });
    }
  })
  .transform((env) => ({
    ...env,
    PUBLIC_URL: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
    REPORT_RECIPIENTS: env.REPORT_RECIPIENTS ?? env.SECRETARIAT_EMAIL,
    // Outside production a fixed secret keeps development and tests simple; links it signs are not secret.
    APP_SECRET: env.APP_SECRET ?? INSECURE_DEVELOPMENT_SECRET,
  }));

export const INSECURE_DEVELOPMENT_SECRET = 'insecure-development-secret-do-not-use-in-production';

export type Configuration = z.infer<typeof configurationSchema>;

export class ConfigurationError extends Error {}

/** Validates the environment; the error lists every bad variable with what was expected. */
export function validateConfiguration(env: Record<string, unknown>): Configuration {
  const result = configurationSchema.safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const given = env[name];
    const message = given === undefined && issue.code === 'invalid_type' ? 'is required but not set' : issue.message;
    return `  ${name}: ${message}`;
  });
  throw new ConfigurationError(`Invalid configuration:\n${lines.join('\n')}`);
}
