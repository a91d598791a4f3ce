/**
 * The slice of oidc-provider 9 this project uses. The package ships no types and the
 * community ones lag behind its releases, so only what identity/ touches is declared,
 * with names and shapes taken from the library's own documentation.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { JsonWebKey } from 'node:crypto';

  type Awaitable<T> = T | Promise<T>;

  export interface ClientMetadata {
    client_id: string;
    client_name?: string;
    application_type?: 'web' | 'native';
    token_endpoint_auth_method?: 'none' | 'client_secret_basic' | 'client_secret_post';
    grant_types?: string[];
    response_types?: string[];
    redirect_uris: string[];
    post_logout_redirect_uris?: string[];
  }

  export interface Client {
    clientId: string;
    redirectUris: string[];
  }

  /** The Koa context oidc-provider hands to configuration callbacks. */
  export interface KoaContextWithOIDC {
    oidc: {
      route: string;
      params?: Record<string, unknown>;
      client?: Client;
    };
    type: string;
    body: unknown;
  }

  export interface Account {
    accountId: string;
    claims(use: 'id_token' | 'userinfo', scope: string): Awaitable<{ sub: string; [claim: string]: unknown }>;
  }

  /** Access tokens, client credentials and the other artifacts extraTokenClaims sees. */
  export interface IssuedToken {
    kind: string;
    accountId?: string;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg: string } };
  }

  type TtlFunction = (ctx: KoaContextWithOIDC, token: unknown, client: Client) => number;

  export interface Configuration {
    clients: ClientMetadata[];
    jwks: { keys: JsonWebKey[] };
    cookies: { keys: string[] };
    routes: Partial<Record<'authorization' | 'token' | 'jwks' | 'userinfo' | 'end_session' | 'revocation', string>>;
    responseTypes: string[];
    scopes: string[];
    claims: Record<string, string[] | null>;
    extraParams: string[];
    conformIdTokenClaims: boolean;
    clientBasedCORS(ctx: KoaContextWithOIDC, origin: string, client: Client): boolean;
    findAccount(ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined>;
    extraTokenClaims(ctx: KoaContextWithOIDC, token: IssuedToken): Promise<Record<string, unknown> | undefined>;
    renderError(ctx: KoaContextWithOIDC, out: Record<string, string>, error: Error): Awaitable<void>;
    interactions: { url(ctx: KoaContextWithOIDC, interaction: { uid: string }): string };
    ttl: Partial<Record<'AccessToken' | 'IdToken' | 'RefreshToken' | 'Interaction' | 'Session' | 'Grant', number | TtlFunction>>;
    features: {
      devInteractions?: { enabled: boolean };
      revocation?: { enabled: boolean };
      webMessageResponseMode?: { enabled: boolean; ack?: string };
      resourceIndicators?: {
        enabled: boolean;
        defaultResource(ctx: KoaContextWithOIDC, client: Client, oneOf?: string[]): Awaitable<string | string[] | undefined>;
        getResourceServerInfo(ctx: KoaContextWithOIDC, resourceIndicator: string, client: Client): Awaitable<ResourceServerInfo>;
        useGrantedResource(ctx: KoaContextWithOIDC, model: unknown): Awaitable<boolean>;
      };
      rpInitiatedLogout?: {
        enabled: boolean;
        logoutSource(ctx: KoaContextWithOIDC, form: string): Awaitable<void>;
        postLogoutSuccessSource(ctx: KoaContextWithOIDC): Awaitable<void>;
      };
    };
  }

  export interface InteractionDetails {
    uid: string;
    prompt: { name: string; reasons: string[]; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId: string };
    grantId?: string;
  }

  export interface InteractionResults {
    login?: { accountId: string; remember?: boolean };
    consent?: { grantId: string };
  }

  export class Grant {
    constructor(properties: { accountId: string; clientId: string });
    accountId?: string;
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
    static find(id: string): Promise<Grant | undefined>;
  }

  export default class Provider {
    constructor(issuer: string, configuration: Partial<Configuration>);
    readonly Grant: typeof Grant;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(
      req: IncomingMessage,
      res: ServerResponse,
      result: InteractionResults,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    on(event: 'server_error', listener: (ctx: KoaContextWithOIDC, error: Error) => void): this;
  }

  export const errors: {
    InvalidTarget: new (description?: string) => Error;
  };
}
