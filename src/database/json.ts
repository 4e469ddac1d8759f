/** A value that survives JSON.stringify and JSON.parse unchanged: what a jsonb column holds. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
