import { ConfigError, identityProblem, loadConfig } from '../../lib/config';

describe('configuration', () => {
  test('when nothing is set, then the embedded stack runs on loopback with SQLite and no issuer is trusted', () => {
    const config = loadConfig({ DATA_DIR: '/tmp/tickets-data' });
    expect(config.identity).toMatchObject({ mode: 'unset', local: false });
    expect(identityProblem(config)).toMatch(/No identity provider is configured.*AUTH0_DOMAIN.*IDENTITY_MODE=local/);
  });

  test('when IDENTITY_MODE=local is set, then the embedded stack trusts the local issuer', () => {
    const config = loadConfig({ DATA_DIR: '/tmp/tickets-data', IDENTITY_MODE: 'local' });
    expect(identityProblem(config)).toBeUndefined();
    expect(config.database).toEqual({ url: 'sqlite:///tmp/tickets-data/tickets.sqlite', dialect: 'sqlite' });
    expect(config.temporal).toMatchObject({ address: '127.0.0.1:7233', embedded: true, uiUrl: 'http://127.0.0.1:8233', namespace: 'default' });
    expect(config.identity).toMatchObject({ issuerUrl: 'http://127.0.0.1:3002/', local: true, audience: 'https://api.ticketing.local' });
  });

  test('when Auth0, MySQL and a cluster are configured, then the same code points at them', () => {
    const config = loadConfig({
      AUTH0_DOMAIN: 'acme.eu.auth0.com',
      DATABASE_URL: 'mysql://u:p@db:3306/tickets',
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_API_KEY: 'key',
    });
    expect(config.identity).toMatchObject({ mode: 'auth0', issuerUrl: 'https://acme.eu.auth0.com/', local: false });
    expect(identityProblem({ ...config, production: true })).toBeUndefined();
    expect(config.database.dialect).toBe('mysql');
    expect(config.temporal).toMatchObject({ address: 'temporal.internal:7233', embedded: false, tls: true, apiKey: 'key' });
  });

  test('when NODE_ENV=production asks for the local issuer, then it is refused', () => {
    expect(identityProblem(loadConfig({ NODE_ENV: 'production', IDENTITY_MODE: 'local' }))).toMatch(/NODE_ENV=production but IDENTITY_MODE=local/);
  });

  test.each([
    [{ IDENTITY_MODE: 'local', AUTH0_DOMAIN: 'acme.eu.auth0.com' }, 'IDENTITY_MODE=local and AUTH0_DOMAIN are both set'],
    [{ IDENTITY_MODE: 'auth0' }, 'IDENTITY_MODE=auth0 needs AUTH0_DOMAIN'],
    [{ IDENTITY_MODE: 'trust-me' }, 'IDENTITY_MODE'],
  ])('when the identity settings contradict each other (%o), then start-up fails saying %s', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('when a variable is empty, then it counts as unset', () => {
    expect(loadConfig({ TEMPORAL_ADDRESS: '', AUTH0_DOMAIN: '' }).temporal.embedded).toBe(true);
  });

  test.each([
    [{ API_PORT: 'eighty' }, 'API_PORT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DATABASE_URL: 'postgres://x' }, 'DATABASE_URL'],
    [{ ONCALL_WEBHOOK_URL: 'not a url' }, 'ONCALL_WEBHOOK_URL'],
    [{ INBOUND_AUTHSERV_IDS: 'mx.google.com; dmarc=pass' }, 'INBOUND_AUTHSERV_IDS'],
    // A domain that accepts only DMARC needs a service trusted to report DMARC, or all its mail is refused.
    [{ INBOUND_TRUSTED_DOMAINS: 'company.example=dmarc' }, 'INBOUND_AUTHSERV_IDS names no service'],
  ])('when %o is given, then start-up fails naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });

  test('when a DMARC-only domain comes with a trusted authentication service, then both are taken', () => {
    const { inbound } = loadConfig({ INBOUND_TRUSTED_DOMAINS: 'company.example=dmarc', INBOUND_AUTHSERV_IDS: 'MX.Google.com' }).mail!;
    expect({ domains: inbound.trustedDomains, services: inbound.authservIds }).toEqual({ domains: { 'company.example': 'dmarc' }, services: ['mx.google.com'] });
  });
});
