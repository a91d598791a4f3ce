import { authservIdOf, organisationalDomain, parseAuthservIds, parseSenderPolicy, verifySender } from '../../api/inbound/sender-auth';

const ar = (value: string) => ({ Name: 'Authentication-Results', Value: value });
const spf = (value: string) => ({ Name: 'Received-SPF', Value: value });
// `mx` stands for the receiving side's own authentication service, the one trusted here.
const relaxed = { domains: {}, authservIds: ['mx'] };

describe('inbound sender authentication (defect 2)', () => {
  test('when SPF and DKIM pass only for the attacker, then the From: domain is not vouched for', () => {
    const verdict = verifySender('carla@company.example', [ar('mx; spf=pass smtp.mailfrom=attacker.example; dkim=pass header.d=attacker.example')], relaxed);
    expect(verdict).toEqual({ ok: false, reason: expect.stringContaining('aligned with company.example') });
  });

  test('when DKIM passes for a subdomain, then relaxed alignment accepts it and strict refuses it', () => {
    const headers = [ar('mx; dkim=pass header.d=mail.company.example')];
    expect(verifySender('carla@company.example', headers, relaxed)).toEqual({ ok: true, via: 'dkim' });
    expect(verifySender('carla@company.example', headers, { domains: { 'company.example': 'strict' }, authservIds: ['mx'] })).toMatchObject({ ok: false, reason: expect.stringContaining('for exactly company.example') });
  });

  test('when the envelope sender of an SPF pass is in the From: organisation, then it is accepted; a look-alike domain is not', () => {
    expect(verifySender('a@company.example', [spf('Pass (ok) identity=mailfrom; client-ip=1.2.3.4; envelope-from=b@bounce.company.example')], relaxed)).toEqual({ ok: true, via: 'spf' });
    expect(verifySender('a@company.example', [spf('Pass (ok) identity=mailfrom; envelope-from=b@company.example.attacker.example')], relaxed).ok).toBe(false);
    expect(verifySender('a@company.example', [spf('Pass (ok) identity=mailfrom; envelope-from=b@evilcompany.example')], relaxed).ok).toBe(false);
  });

  test('when a domain accepts only DMARC, then aligned SPF/DKIM passes are not enough but dmarc=pass is', () => {
    const policy = { domains: { 'company.example': 'dmarc' as const }, authservIds: ['mx'] };
    expect(verifySender('a@company.example', [ar('mx; dkim=pass header.d=company.example')], policy)).toMatchObject({ ok: false, reason: expect.stringContaining('accepts only a DMARC pass') });
    expect(verifySender('a@company.example', [ar('mx; dmarc=pass header.from=company.example')], policy)).toEqual({ ok: true, via: 'dmarc' });
  });

  test('when DMARC fails for the From: domain, then it is refused whatever else passed; a DMARC pass for another domain is ignored', () => {
    expect(verifySender('a@company.example', [ar('mx; dkim=pass header.d=company.example; dmarc=fail header.from=company.example')], relaxed)).toMatchObject({ ok: false, reason: 'DMARC failed for company.example' });
    expect(verifySender('a@company.example', [ar('mx; dmarc=pass header.from=attacker.example')], relaxed).ok).toBe(false);
  });

  test('when the sender writes its own Authentication-Results under an authentication service nobody trusts, then they are ignored and the receiver\'s SPF fail stands', () => {
    const genuineFail = spf('Fail (domain of attacker.example does not designate 203.0.113.66) identity=mailfrom; envelope-from=bounce@attacker.example');
    const forged = ar('mx.attacker.example; dmarc=pass header.from=company.example; dkim=pass header.d=company.example');
    expect(verifySender('carla@company.example', [genuineFail, forged], relaxed)).toMatchObject({ ok: false, reason: expect.stringContaining('SPF fail for attacker.example') });
    expect(verifySender('carla@company.example', [forged, genuineFail], relaxed).ok).toBe(false);
    // With no service trusted at all, only the receiver's Received-SPF counts.
    expect(verifySender('carla@company.example', [ar('mx; dmarc=pass header.from=company.example')], { domains: {} }).ok).toBe(false);
    expect(verifySender('carla@company.example', [forged], { domains: {}, authservIds: ['mx.attacker.example'] })).toEqual({ ok: true, via: 'dmarc' });
  });

  test('when a second Received-SPF says Pass below the one the receiver prepended, then only the first counts', () => {
    const genuineFail = spf('Fail identity=mailfrom; envelope-from=bounce@attacker.example');
    const forgedPass = spf('Pass (sender SPF authorized) identity=mailfrom; envelope-from=carla@company.example');
    expect(verifySender('carla@company.example', [genuineFail, forgedPass], relaxed).ok).toBe(false);
    expect(verifySender('carla@company.example', [forgedPass, genuineFail], relaxed)).toEqual({ ok: true, via: 'spf' });
  });

  test('the authentication service is the first token of the header, comments aside; the setting names host names only', () => {
    expect(authservIdOf('MX.Google.com (postfix) ; dkim=pass header.d=a.example')).toBe('mx.google.com');
    expect(authservIdOf('mx.postmarkapp.com 1; spf=pass')).toBe('mx.postmarkapp.com');
    expect(parseAuthservIds(' mx.google.com, MX.Company.example ,')).toEqual(['mx.google.com', 'mx.company.example']);
    expect(() => parseAuthservIds('mx.google.com; dmarc=pass')).toThrow(/not an authentication service id/);
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
