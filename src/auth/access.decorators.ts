import { SetMetadata } from '@nestjs/common';
import type { Role } from '../generated/db/enums.js';

export const ACCESS = 'handlingsplan:access';
export type Access = { public: true } | { role: Role };

/** Anyone may call it: the published plan and its figures, answer links, health. */
export const Public = () => SetMetadata(ACCESS, { public: true } satisfies Access);

/** Signed-in users or API tokens with at least this role. Everything not marked is "viewer". */
export const RequireRole = (role: Role) => SetMetadata(ACCESS, { role } satisfies Access);
