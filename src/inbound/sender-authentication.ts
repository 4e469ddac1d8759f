import type { AuthenticateResult } from 'mailauth';

/** Whether a reply's From: address is vouched for by its domain (SPF, DKIM, DMARC), and how that was decided. */
export interface SenderVerdict {
  verified: boolean;
  /** What was found, for the review queue and the logs, e.g. "dmarc=pass (by mx.example.org)". */
  detail: string;
}

/**
 * DMARC's relaxed alignment, read without a public-suffix list: the domains are the same, or one
 * lies under the other (mail.kvarken.org and kvarken.org). Enough here, since the contacts'
 * domains are known organisations and not public suffixes.
 */
export function aligned(a: string, b: string): boolean {
  const x = a.toLowerCase().replace(/\.$/, '');
  const y = b.toLowerCase().replace(/\.$/, '');
  return x !== '' && y !== '' && (x === y || x.endsWith(`.${y}`) || y.endsWith(`.${x}`));
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** The verdict of the built-in SMTP listener's own checks (mailauth), for the From: domain. */
export function verdictFromMailauth(result: AuthenticateResult, fromAddress: string): SenderVerdict {
  const fromDomain = domainOf(fromAddress);
  const spf = result.spf ? result.spf.status.result : 'none';
  const dkim = result.dkim.results ?? [];
  const dmarc = result.dmarc ? result.dmarc.status.result : 'none';
  const signatures = dkim.map((r) => (r.signingDomain ? `${r.status.result} (d=${r.signingDomain})` : r.status.result)).join(' ');
  const summary = `spf=${spf}, dkim=${signatures || 'none'}, dmarc=${dmarc}`;
  if (dmarc === 'pass') return { verified: true, detail: summary };
  if (dmarc === 'fail') return { verified: false, detail: summary };
  // No DMARC record: an aligned SPF or DKIM pass is what DMARC would have required.
  const spfAligned = result.spf && spf === 'pass' && aligned(result.spf.domain ?? '', fromDomain);
  const dkimAligned = dkim.some((r) => r.status.result === 'pass' && aligned(r.signingDomain, fromDomain));
  return { verified: Boolean(spfAligned || dkimAligned), detail: summary };
}

interface ResultEntry {
  method: string;
  result: string;
  properties: Map<string, string>;
}

/** An Authentication-Results value (RFC 8601): the authserv-id and each method's result. */
export function parseAuthenticationResults(value: string): { authservId: string; results: ResultEntry[] } {
  // Comments in parentheses carry nothing a verdict may rest on.
  const text = value.replace(/\r?\n[ \t]+/g, ' ').replace(/\([^()]*\)/g, ' ');
  const [head = '', ...rest] = text.split(';');
  const authservId = head.trim().split(/\s+/)[0]!.toLowerCase();
  const results = rest.flatMap((part): ResultEntry[] => {
    const tokens = part.trim().split(/\s+/).filter(Boolean);
    const match = /^([a-z0-9_-]+)(?:\/[0-9]+)?=([a-z]+)$/i.exec(tokens[0] ?? '');
    if (!match) return [];
    const properties = new Map<string, string>();
    for (const token of tokens.slice(1)) {
      const property = /^([a-z0-9_-]+\.[a-z0-9_.-]+)=(.+)$/i.exec(token);
      if (property) properties.set(property[1]!.toLowerCase(), property[2]!.replace(/^"|"$/g, ''));
    }
    return [{ method: match[1]!.toLowerCase(), result: match[2]!.toLowerCase(), properties }];
  });
  return { authservId, results };
}

/**
 * The verdict of a relay in front of the webhook: the topmost Authentication-Results header
 * stamped by one of the trusted relays (a relay prepends its own, so anything below it may be the
 * sender's forgery). Headers from any other authserv-id are ignored.
 */
export function verdictFromRelay(headers: string[], trustedRelays: string[], fromAddress: string): SenderVerdict {
  if (trustedRelays.length === 0) {
    return { verified: false, detail: 'no relay is trusted to authenticate senders (INBOUND_TRUSTED_RELAYS is empty)' };
  }
  const stamped = headers.map(parseAuthenticationResults).find((header) => trustedRelays.includes(header.authservId));
  if (!stamped) return { verified: false, detail: `no Authentication-Results from a trusted relay (${trustedRelays.join(', ')})` };
  const fromDomain = domainOf(fromAddress);
  const of = (method: string) => stamped.results.filter((entry) => entry.method === method);
  const summary = `${stamped.results.map((entry) => `${entry.method}=${entry.result}`).join(', ') || 'no results'} (by ${stamped.authservId})`;
  const dmarc = of('dmarc')[0];
  if (dmarc?.result === 'pass') {
    const headerFrom = dmarc.properties.get('header.from');
    return { verified: headerFrom === undefined || aligned(headerFrom, fromDomain), detail: summary };
  }
  if (dmarc && dmarc.result !== 'none') return { verified: false, detail: summary };
  const dkimAligned = of('dkim').some((entry) => {
    const domain = entry.properties.get('header.d') ?? domainOf(entry.properties.get('header.i') ?? '');
    return entry.result === 'pass' && aligned(domain, fromDomain);
  });
  const spfAligned = of('spf').some((entry) => {
    const mailFrom = entry.properties.get('smtp.mailfrom') ?? '';
    return entry.result === 'pass' && aligned(mailFrom.includes('@') ? domainOf(mailFrom) : mailFrom, fromDomain);
  });
  return { verified: dkimAligned || spfAligned, detail: summary };
}
