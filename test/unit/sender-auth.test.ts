import { organisationalDomain, parseSenderPolicy, verifySender } from '../../api/inbound/sender-auth';

const ar = (value: string) => ({ Name: 'Authentication-Results', Value: value });
const spf = (value: string) => ({ Name: 'Received-SPF', Value: value });
const relaxed = { domains: {} };

describe('inbound sender authentication (defect 2)', () => {
  test('when SPF and DKIM pass only for the attacker, then the From: domain is not vouched for', () => {
    const verdict = verifySender('carla@company.example', [ar('mx; spf=pass smtp.mailfrom=attacker.example; dkim=pass header.d=attacker.example')], relaxed);
    expect(verdict).toEqual({ ok: false, reason: expect.stringContaining('aligned with company.example') });
  });

  test('when DKIM passes for a subdomain, then relaxed alignment accepts it and strict refuses it', () => {
    const headers = [ar('mx; dkim=pass header.d=mail.company.example')];
    expect(verifySender('carla@company.example', headers, relaxed)).toEqual({ ok: true, via: 'dkim' });
    expect(verifySender('carla@company.example', headers, { domains: { 'company.example': 'strict' } })).toMatchObject({ ok: false, reason: expect.stringContaining('for exactly company.example') });
  });

  test('when the envelope sender of an SPF pass is in the From: organisation, then it is accepted; a look-alike domain is not', () => {
    expect(verifySender('a@company.example', [spf('Pass (ok) identity=mailfrom; client-ip=1.2.3.4; envelope-from=b@bounce.company.example')], relaxed)).toEqual({ ok: true, via: 'spf' });
    expect(verifySender('a@company.example', [spf('Pass (ok) identity=mailfrom; envelope-from=b@company.example.attacker.example')], relaxed).ok).toBe(false);
    expect(verifySender('a@company.example', [spf('Pass (ok) identity=mailfrom; envelope-from=b@evilcompany.example')], relaxed).ok).toBe(false);
  });

  test('when a domain accepts only DMARC, then aligned SPF/DKIM passes are not enough but dmarc=pass is', () => {
    const policy = { domains: { 'company.example': 'dmarc' as const } };
    expect(verifySender('a@company.example', [ar('mx; dkim=pass header.d=company.example')], policy)).toMatchObject({ ok: false, reason: expect.stringContaining('accepts only a DMARC pass') });
    expect(verifySender('a@company.example', [ar('mx; dmarc=pass header.from=company.example')], policy)).toEqual({ ok: true, via: 'dmarc' });
  });

  test('when DMARC fails for the From: domain, then it is refused whatever else passed; a DMARC pass for another domain is ignored', () => {
    expect(verifySender('a@company.example', [ar('mx; dkim=pass header.d=company.example; dmarc=fail header.from=company.example')], relaxed)).toMatchObject({ ok: false, reason: 'DMARC failed for company.example' });
    expect(verifySender('a@company.example', [ar('mx; dmarc=pass header.from=attacker.example')], relaxed).ok).toBe(false);
  });

  test('when a comment holds a fake result, then it is ignored', () => {
    expect(verifySender('a@company.example', [ar('mx; spf=fail (dkim=pass header.d=company.example) smtp.mailfrom=attacker.example')], relaxed).ok).toBe(false);
  });

  test('organisational domains follow the common two-level suffixes', () => {
    expect(organisationalDomain('mail.company.co.uk')).toBe('company.co.uk');
    expect(organisationalDomain('a.b.company.example')).toBe('company.example');
    expect(organisationalDomain('co.uk')).toBe('co.uk');
  });

  test('the policy setting names each domain and refuses an unknown policy', () => {
    expect(parseSenderPolicy(' company.example=strict, partner.example=dmarc,other.example ')).toEqual({ domains: { 'company.example': 'strict', 'partner.example': 'dmarc', 'other.example': 'relaxed' } });
    expect(() => parseSenderPolicy('company.example=lenient')).toThrow('relaxed, strict or dmarc');
    expect(() => parseSenderPolicy('=strict')).toThrow('does not start with a domain');
  });
});
