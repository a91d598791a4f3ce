/**
 * Custom claims in access tokens. Auth0 only lets Actions add namespaced claims
 * (a URL prefix), so the local issuer uses the same names and the API reads one shape.
 */
export const CLAIM_NAMESPACE = 'https://ticketing.local/';
export const ROLES_CLAIM = `${CLAIM_NAMESPACE}roles`;
export const TEAMS_CLAIM = `${CLAIM_NAMESPACE}teams`;
export const DEPARTMENT_CLAIM = `${CLAIM_NAMESPACE}department`;
export const EMAIL_CLAIM = `${CLAIM_NAMESPACE}email`;
export const EMAIL_VERIFIED_CLAIM = `${CLAIM_NAMESPACE}email_verified`;
export const NAME_CLAIM = `${CLAIM_NAMESPACE}name`;

export const ROLES = ['requester', 'agent', 'manager', 'lead', 'admin'] as const;
export type Role = (typeof ROLES)[number];
