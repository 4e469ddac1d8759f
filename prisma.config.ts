// Prisma CLI configuration. Only `prisma generate` is used here: migrations are applied by the
// service itself (`npm run cli -- db migrate`), because the CLI's schema engine is a separate
// binary download that not every machine can make.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
