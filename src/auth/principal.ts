import type { Role } from '../generated/db/enums.js';

/** Who is asking: a signed-in user, or an integration with an API token. */
export interface Principal {
  kind: 'user' | 'token';
  id: number;
  name: string;
  role: Role;
  language: string;
  /** For sessions: the value forms must send back. */
  csrf?: string;
}

const RANK: Record<Role, number> = { viewer: 0, secretariat: 1, admin: 2 };

export const atLeast = (role: Role, required: Role) => RANK[role] >= RANK[required];
