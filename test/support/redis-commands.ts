import type { INestApplication } from '@nestjs/common';
import { RedisService } from '../../src/queue/redis.service.js';

/**
 * Records the names of the commands the service's shared Redis client sends (rate limits, health;
 * BullMQ has connections of its own) while `run` runs, and puts the client back afterwards.
 */
export async function redisCommandsDuring(app: INestApplication, run: (commands: string[]) => Promise<void>): Promise<string[]> {
  const redis = app.get(RedisService).client;
  const commands: string[] = [];
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: { name: string }) => {
    commands.push(command.name);
    return send(command as never);
  }) as typeof redis.sendCommand;
  try {
    await run(commands);
  } finally {
    redis.sendCommand = send;
  }
  return commands;
}
