/**
 * Whether an inbound message really comes from the domain in its From: address, judged from
 * the authentication results the receiving server recorded (Postmark passes them on as the
 * `Authentication-Results` and `Received-SPF` headers of its inbound JSON).
 *
 * A pass only vouches for the domain it was computed for: SPF for the envelope sender
 * (smtp.mailfrom), DKIM for the signing domain (header.d). An attacker passes both for
 * attacker.example while writing `From: carla@company.example`, so a pass counts only when
 * that domain is ALIGNED with the From: domain (DMARC's rule, RFC 7489 §3.1), or when the
 * receiver's own DMARC evaluation passed for the From: domain.
 *
 * Only results the receiving side recorded count, since the sender writes the rest of the
 * headers: `Authentication-Results` only from an authentication service named in
 * `authservIds` (RFC 8601 §7.1: the border MTA of your own trust boundary, which strips
 * forged ones bearing its name), and of the `Received-SPF` headers only the first, the one
 * the receiving server prepended (RFC 7208 §9.1). A sender's forged `dmarc=pass` from
 * "mx.attacker.example", or a second `Received-SPF: Pass` under Postmark's genuine fail,
 * outweighed that fail before.
 */

export type AlignmentPolicy = 'relaxed' | 'strict' | 'dmarc';

export interface SenderPolicy {
  /** Per From: domain (lower case); domains not listed use relaxed alignment. */
  domains: Record<string, AlignmentPolicy>;
  /** Authentication services whose `Authentication-Results` are trusted (lower case); none: only `Received-SPF`. */
  authservIds?: string[];
}

export type SenderVerdict = { ok: true; via: string } | { ok: false; reason: string };

interface MethodResult {
  method: string;
  result: string;
  props: Record<string, string>;
}

/**
 * Two-level public suffixes common enough to matter for a company's mail domain. Without the
 * full Public Suffix List the organisational domain is the last two labels, or three under
 * these; a suffix missing here errs on the strict side (the two domains just do not align).
 */
const TWO_LEVEL_SUFFIXES = new Set([
  'co.uk', 'org.uk', 'ac.uk', 'gov.uk', 'ltd.uk', 'plc.uk', 'me.uk', 'net.uk',
  'com.au', 'net.au', 'org.au', 'edu.au', 'gov.au', 'co.nz', 'org.nz', 'net.nz',
  'co.jp', 'ne.jp', 'or.jp', 'ac.jp', 'co.kr', 'or.kr', 'co.in', 'net.in', 'org.in', 'co.za', 'org.za',
  'com.br', 'net.br', 'org.br', 'com.cn', 'net.cn', 'org.cn', 'com.mx', 'com.ar', 'com.tr', 'com.sg', 'com.hk', 'com.tw',
  'co.il', 'co.id', 'co.th', 'com.my', 'com.ph', 'com.vn', 'com.pl', 'com.es', 'com.pt', 'co.at', 'or.at',
]);

export function organisationalDomain(domain: string): string {
  const labels = domain.toLowerCase().replace(/\.+$/, '').split('.').filter(Boolean);
  if (labels.length <= 2) return labels.join('.');
  const lastTwo = labels.slice(-2).join('.');
  return TWO_LEVEL_SUFFIXES.has(lastTwo) ? labels.slice(-3).join('.') : lastTwo;
}

export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return (at >= 0 ? address.slice(at + 1) : address).trim().replace(/[>\s"]+$/, '').toLowerCase();
}

function aligned(authenticated: string | undefined, fromDomain: string, policy: AlignmentPolicy): boolean {
  if (!authenticated) return false;
  const domain = domainOf(authenticated);
  if (!domain) return false;
  return policy === 'strict' ? domain === fromDomain : organisationalDomain(domain) === organisationalDomain(fromDomain);
}

/** Comments in parentheses carry free text (and semicolons); they say nothing we rely on. */
const stripComments = (value: string) => value.replace(/\([^()]*\)/g, ' ');

/** The authentication service that wrote an `Authentication-Results` value: its first token (RFC 8601 §2.2), lower case. */
export function authservIdOf(value: string): string {
  return (stripComments(value).split(';')[0] ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
}

/** Parses `INBOUND_AUTHSERV_IDS`: `mx.google.com, mx.company.example`. */
export function parseAuthservIds(setting: string | undefined): string[] {
  const ids = (setting ?? '').split(',').map((e) => e.trim().toLowerCase()).filter(Boolean);
  for (const id of ids) if (!/^[a-z0-9.-]+$/.test(id)) throw new Error(`"${id}" is not an authentication service id (a host name such as mx.google.com)`);
  return ids;
}

/** `authserv-id; spf=pass smtp.mailfrom=a.example; dkim=pass header.d=b.example; dmarc=fail header.from=c.example` (RFC 8601). */
export function parseAuthenticationResults(value: string): MethodResult[] {
  const [, ...resinfos] = stripComments(value).split(';');
  const results: MethodResult[] = [];
  for (const resinfo of resinfos) {
    const tokens = resinfo.trim().split(/\s+/).filter(Boolean);
    const head = tokens.shift();
    const match = head && /^([a-z0-9-]+)=([a-z]+)$/i.exec(head);
    if (!match) continue;
    const props: Record<string, string> = {};
    for (const token of tokens) {
      const eq = token.indexOf('=');
      if (eq > 0) props[token.slice(0, eq).toLowerCase()] = token.slice(eq + 1).replace(/^"|"$/g, '');
    }
    results.push({ method: match[1]!.toLowerCase(), result: match[2]!.toLowerCase(), props });
  }
  return results;
}

/** `Pass (comment) identity=mailfrom; client-ip=…; envelope-from=bounce@a.example; helo=…` (RFC 7208 §9.1). */
export function parseReceivedSpf(value: string): { result: string; domain?: string } {
  const result = (/^\s*([a-z]+)/i.exec(value)?.[1] ?? '').toLowerCase();
  const keys: Record<string, string> = {};
  for (const part of stripComments(value).split(';')) {
    const m = /([a-z-]+)\s*=\s*"?([^";\s]+)"?/i.exec(part);
    if (m) keys[m[1]!.toLowerCase()] = m[2]!;
  }
  const identity = keys.identity?.toLowerCase();
  const domain = identity === 'helo' ? keys.helo : keys['envelope-from'] ?? keys.helo;
  return { result, domain: domain ? domainOf(domain) : undefined };
}

/** Parses `INBOUND_TRUSTED_DOMAINS`: `company.example=strict, partner.example=dmarc` (the default per domain is relaxed). */
export function parseSenderPolicy(setting: string | undefined): SenderPolicy {
  const domains: Record<string, AlignmentPolicy> = {};
  for (const entry of (setting ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    const [domain, policy = 'relaxed'] = entry.split('=').map((p) => p.trim().toLowerCase());
    if (!domain || !/^[a-z0-9.-]+\.[a-z0-9-]+$/.test(domain)) throw new Error(`"${entry}" does not start with a domain`);
    if (policy !== 'relaxed' && policy !== 'strict' && policy !== 'dmarc') throw new Error(`"${entry}": the policy must be relaxed, strict or dmarc`);
    domains[domain] = policy;
  }
  return { domains };
}

/**
 * Accepts on `dmarc=pass` for the From: domain, or (unless the domain's policy is `dmarc`) on an
 * SPF or DKIM pass aligned with it; anything else is refused with what was seen.
 */
export function verifySender(fromAddress: string, headers: Array<{ Name: string; Value: string }>, policy: SenderPolicy): SenderVerdict {
  const fromDomain = domainOf(fromAddress);
  if (!fromDomain || !fromDomain.includes('.')) return { ok: false, reason: 'the From: address has no domain' };
  const mode = policy.domains[fromDomain] ?? policy.domains[organisationalDomain(fromDomain)] ?? 'relaxed';
  const values = (name: string) => headers.filter((h) => h.Name.toLowerCase() === name).map((h) => h.Value);
  const trusted = new Set(policy.authservIds ?? []);
  const results = values('authentication-results')
    .filter((value) => trusted.has(authservIdOf(value)))
    .flatMap(parseAuthenticationResults);
  const dmarc = results.filter((r) => r.method === 'dmarc');
  const dmarcFrom = (r: MethodResult) => r.props['header.from'];
  // A DMARC result is about the From: domain; one computed for another domain (a different From header) says nothing here.
  const dmarcHere = dmarc.filter((r) => !dmarcFrom(r) || domainOf(dmarcFrom(r)!) === fromDomain);
  if (dmarcHere.some((r) => r.result === 'fail')) return { ok: false, reason: `DMARC failed for ${fromDomain}` };
  if (dmarcHere.some((r) => r.result === 'pass')) return { ok: true, via: 'dmarc' };

  const seen: string[] = [];
  const spf = [
    ...results.filter((r) => r.method === 'spf').map((r) => ({ result: r.result, domain: r.props['smtp.mailfrom'] ?? r.props['smtp.helo'] })),
    ...values('received-spf').slice(0, 1).map(parseReceivedSpf),
  ];
  const dkim = results.filter((r) => r.method === 'dkim').map((r) => ({ result: r.result, domain: r.props['header.d'] ?? r.props['header.i'] }));
  if (mode !== 'dmarc') {
    if (dkim.some((d) => d.result === 'pass' && aligned(d.domain, fromDomain, mode))) return { ok: true, via: 'dkim' };
    if (spf.some((s) => s.result === 'pass' && aligned(s.domain, fromDomain, mode))) return { ok: true, via: 'spf' };
  }
  for (const d of dkim) seen.push(`DKIM ${d.result}${d.domain ? ` for ${domainOf(d.domain)}` : ''}`);
  for (const s of spf) seen.push(`SPF ${s.result || 'unknown'}${s.domain ? ` for ${s.domain}` : ''}`);
  const rule = mode === 'dmarc' ? `${fromDomain} accepts only a DMARC pass` : `no DMARC pass and no SPF or DKIM pass ${mode === 'strict' ? 'for exactly' : 'aligned with'} ${fromDomain}`;
  return { ok: false, reason: `${rule}${seen.length ? ` (seen: ${seen.join(', ')})` : ' (no authentication results)'}` };
}
