import type { DNSResolver } from 'mailauth';

/**
 * A DNS zone in memory for the sender checks (mailauth), since tests reach no real DNS: records
 * as `'TXT example.org': ['v=spf1 …']`. A name without records answers as DNS does (ENOTFOUND).
 */
export function dnsZone(records: Record<string, string[]>): DNSResolver {
  return (name: string, type: string) => {
    const found = records[`${type} ${name.toLowerCase()}`];
    if (!found) return Promise.reject(Object.assign(new Error(`query${type} ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(type === 'TXT' ? found.map((value) => [value]) : found);
  };
}
