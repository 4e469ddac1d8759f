import { NestFactory } from '@nestjs/core';
import { HttpException, type INestApplicationContext } from '@nestjs/common';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { validateConfiguration, ConfigurationError } from '../config/configuration.js';
import { migrate, MigrationError } from '../database/migrator.js';
import { PlanExportService } from '../plan/plan-export.service.js';
import { PlanFileError } from '../plan/plan-file.reader.js';
import { PlanImportService } from '../plan/plan-import.service.js';
import { PlanImportConflict } from '../plan/plan-writer.repository.js';
import { PlanService } from '../plan/plan.service.js';
import { UsersService } from '../auth/users.service.js';
import { CliModule } from './cli.module.js';
import { buildDemo } from '../demo/demo-year.js';

export interface CliIo {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
  env: Record<string, string | undefined>;
  stdin?: AsyncIterable<unknown> & { isTTY?: boolean };
}

const USAGE = `Usage: npm run cli -- <command>

  db migrate                     apply the SQL migrations in prisma/migrations
  plan import <file>             validate a plan file (YAML or JSON) and write it in one transaction
  plan export [--plan <id>]      print a plan as JSON (the current plan by default)
  user create --email <e> --role admin|secretariat|viewer [--name <n>] [--language en|da|sv|nb]
                                 create a dashboard user; the password is read from HANDLINGSPLAN_PASSWORD
                                 or from the first line of standard input
  user password --email <e>      set a user's password (read the same way) and end their sessions
  demo                           fill a separate demo database (DEMO_DATABASE_URL, default: DATABASE_URL's name + _demo)
                                 with the real plan and a generated year of answers, reminders and replies
  token create --name <n> --role admin|secretariat|viewer
                                 create an API token for an integration (printed once)
  token revoke <name>            revoke every token of that name (or --name <n>); it stops working at once
`;

/** Mistakes in the call itself: usage is printed, exit code 64 (EX_USAGE). */
class UsageError extends Error {}

/**
 * The command-line tool. Returns the exit code: 0 done, 1 failed, 2 bad input (the file or the
 * database state refused it, nothing written), 64 wrong usage.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const [group, command, ...rest] = argv;
    switch (`${group ?? ''} ${command ?? ''}`.trim()) {
      case 'db migrate':
        return await dbMigrate(io);
      case 'plan import':
        return await withApp(io, (app) => planImport(app, rest, io));
      case 'plan export':
        return await withApp(io, (app) => planExport(app, rest, io));
      case 'user create':
        return await withApp(io, (app) => userCreate(app, rest, io));
      case 'user password':
        return await withApp(io, (app) => userPassword(app, rest, io));
      case 'token create':
        return await withApp(io, (app) => tokenCreate(app, rest, io));
      case 'token revoke':
        return await withApp(io, (app) => tokenRevoke(app, rest, io));
      case 'demo':
        return await demo(io);
      case 'help':
      case '':
        io.out.write(USAGE);
        return group ? 0 : 64;
      default:
        throw new UsageError(`Unknown command "${argv.join(' ')}".`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err.write(`${error.message}\n\n${USAGE}`);
      return 64;
    }
    if (error instanceof PlanFileError || error instanceof PlanImportConflict || error instanceof ConfigurationError) {
      io.err.write(`${error.message}\nNothing was written.\n`);
      return 2;
    }
    if (error instanceof HttpException) {
      const response = error.getResponse();
      io.err.write(`${typeof response === 'object' && 'message' in response ? String(response.message) : error.message}\n`);
      return 2;
    }
    if (error instanceof MigrationError) {
      io.err.write(`${error.message}\n`);
      return 1;
    }
    io.err.write(`${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}

async function dbMigrate(io: CliIo): Promise<number> {
  const config = validateConfiguration(io.env);
  const result = await migrate(config.DATABASE_URL);
  for (const name of result.applied) io.out.write(`applied ${name}\n`);
  io.out.write(
    result.applied.length === 0
      ? `Database is up to date (${result.alreadyApplied.length} migrations).\n`
      : `${result.applied.length} migration(s) applied.\n`,
  );
  return 0;
}

async function planImport(app: INestApplicationContext, args: string[], io: CliIo): Promise<number> {
  const { positionals } = parse(args, {});
  if (positionals.length !== 1) throw new UsageError('plan import takes exactly one file.');
  const report = await app.get(PlanImportService).importFile(positionals[0]!);
  const { counts, removed } = report;
  io.out.write(
    `${report.created ? 'Imported' : 'Updated'} plan "${report.slug}" (id ${report.planId}): ` +
      `${counts.organisations} organisations, ${counts.goals} goals, ${counts.interventions} interventions, ` +
      `${counts.contributions} contributions, ${counts.milestones} milestones.\n`,
  );
  const removedTotal = Object.values(removed).reduce((sum, n) => sum + n, 0);
  if (removedTotal > 0) io.out.write(`Removed what the file no longer lists: ${JSON.stringify(removed)}.\n`);
  for (const warning of report.warnings) io.err.write(`warning: ${warning}\n`);
  return 0;
}

async function planExport(app: INestApplicationContext, args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { plan: { type: 'string' } });
  const planArg = (values as { plan?: string }).plan;
  if (planArg !== undefined && !/^\d+$/.test(planArg)) throw new UsageError(`--plan takes a plan id (a number), not "${planArg}".`);
  const planId = await app.get(PlanService).resolvePlanId(planArg === undefined ? undefined : Number(planArg));
  io.out.write(`${JSON.stringify(await app.get(PlanExportService).export(planId), null, 2)}\n`);
  return 0;
}

async function demo(io: CliIo): Promise<number> {
  const config = validateConfiguration(io.env);
  const result = await buildDemo({ ...io.env, DATABASE_URL: config.DATABASE_URL }, (line) => io.out.write(`${line}\n`));
  io.out.write(
    `\nThe demo is ready. Start the service on it and sign in:\n\n` +
      `  DATABASE_URL='${result.databaseUrl}' QUEUE_PREFIX='{handlingsplan-demo}' YEARLY_ROUND=false npm start\n` +
      `  open http://localhost:3000/  —  ${result.email} / ${result.password}\n`,
  );
  return 0;
}

const ROLES = ['admin', 'secretariat', 'viewer'] as const;

async function userCreate(app: INestApplicationContext, args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, {
    email: { type: 'string' },
    role: { type: 'string' },
    name: { type: 'string' },
    language: { type: 'string' },
  });
  const { email, role, name, language } = values as Record<string, string | undefined>;
  if (!email) throw new UsageError('user create needs --email.');
  if (!role || !ROLES.includes(role as (typeof ROLES)[number])) throw new UsageError(`user create needs --role ${ROLES.join('|')}.`);
  if (language && !['en', 'da', 'sv', 'nb', 'fi'].includes(language)) throw new UsageError('--language is one of en, da, sv, nb, fi.');
  const password = io.env.HANDLINGSPLAN_PASSWORD ?? (await readLine(io));
  if (!password) throw new UsageError('Give the password in HANDLINGSPLAN_PASSWORD or on standard input.');
  const user = await app
    .get(UsersService)
    .createUser({ email, password, role: role as (typeof ROLES)[number], name, language: language as 'en' | undefined });
  io.out.write(`Created ${user.role} ${user.email} (id ${user.id}).\n`);
  return 0;
}

async function userPassword(app: INestApplicationContext, args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { email: { type: 'string' } });
  const { email } = values as Record<string, string | undefined>;
  if (!email) throw new UsageError('user password needs --email.');
  const password = io.env.HANDLINGSPLAN_PASSWORD ?? (await readLine(io));
  if (!password) throw new UsageError('Give the password in HANDLINGSPLAN_PASSWORD or on standard input.');
  await app.get(UsersService).setPassword(email, password);
  io.out.write(`Changed the password of ${email.trim().toLowerCase()}; their sessions have ended.\n`);
  return 0;
}

async function tokenCreate(app: INestApplicationContext, args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { name: { type: 'string' }, role: { type: 'string' } });
  const { name, role } = values as Record<string, string | undefined>;
  if (!name) throw new UsageError('token create needs --name.');
  if (!role || !ROLES.includes(role as (typeof ROLES)[number])) throw new UsageError(`token create needs --role ${ROLES.join('|')}.`);
  const token = await app.get(UsersService).createApiToken(name, role as (typeof ROLES)[number]);
  io.out.write(`${token}\n`);
  io.err.write('Keep this token now: it is stored only as a hash and cannot be shown again.\n');
  return 0;
}

async function tokenRevoke(app: INestApplicationContext, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { name: { type: 'string' } });
  const named = (values as Record<string, string | undefined>).name;
  if (positionals.length > (named ? 0 : 1)) throw new UsageError('token revoke takes one name.');
  const name = named ?? positionals[0];
  if (!name) throw new UsageError('token revoke needs the name of the token.');
  const revoked = await app.get(UsersService).revokeApiTokens(name);
  if (revoked === 0) {
    io.err.write(`No token named "${name}" is in use.\n`);
    return 2;
  }
  io.out.write(`Revoked ${revoked} token${revoked === 1 ? '' : 's'} named "${name}".\n`);
  return 0;
}

async function readLine(io: CliIo): Promise<string | undefined> {
  if (!io.stdin || io.stdin.isTTY) return undefined;
  let text = '';
  for await (const chunk of io.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split('\n')[0]?.trim() || undefined;
}

function parse(args: string[], options: ParseArgsConfig['options']) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function withApp(io: CliIo, run: (app: INestApplicationContext) => Promise<number>): Promise<number> {
  validateConfiguration(io.env); // fail with the configuration message before Nest starts logging
  const app = await NestFactory.createApplicationContext(CliModule.forEnvironment(io.env), {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
  try {
    return await run(app);
  } finally {
    await app.close();
  }
}
