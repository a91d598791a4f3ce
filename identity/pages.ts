import type { Account } from '../lib/accounts';
import type { Role } from '../lib/claims';

/** The pages the local issuer shows people: sign-in, sign-out and errors. */

export const LOGIN_TITLE = 'Sign in — Durable Ticketing (local identity)';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Most senior role first: a person is listed once, under the most senior role they hold. */
const ROLE_GROUPS: Array<{ role: Role; label: string }> = [
  { role: 'admin', label: 'Administrators' },
  { role: 'manager', label: 'Managers' },
  { role: 'lead', label: 'Team leads' },
  { role: 'agent', label: 'Agents' },
  { role: 'requester', label: 'Employees' },
];

const STYLE = `
  :root { color-scheme: light; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  body { margin: 0; background: #f3f4f6; color: #111827; }
  main { max-width: 44rem; margin: 2rem auto; padding: 2rem; background: #fff; border-radius: .75rem; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
  h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
  h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; color: #374151; }
  p.lead { margin: 0 0 1rem; color: #4b5563; }
  ul { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); gap: .5rem; }
  button { font: inherit; cursor: pointer; border-radius: .5rem; }
  ul button { width: 100%; text-align: left; padding: .6rem .8rem; background: #f9fafb; border: 1px solid #d1d5db; color: inherit; }
  ul button:hover { background: #eef2ff; border-color: #6366f1; }
  button:focus-visible, input:focus-visible { outline: 3px solid #4f46e5; outline-offset: 2px; }
  .email { display: flex; gap: .5rem; flex-wrap: wrap; align-items: end; }
  .email label { display: flex; flex-direction: column; gap: .25rem; flex: 1 1 16rem; }
  input[type=email] { font: inherit; padding: .55rem .7rem; border: 1px solid #9ca3af; border-radius: .5rem; }
  .primary { padding: .6rem 1.2rem; background: #4f46e5; color: #fff; border: 0; }
  .error { padding: .75rem 1rem; margin: 0 0 1rem; border-radius: .5rem; background: #fef2f2; color: #991b1b; border: 1px solid #fecaca; }
  .note { font-size: .875rem; color: #6b7280; margin-top: 1.5rem; }
`;

function page(title: string, body: string, script = ''): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>${script ? `\n<script>${script}</script>` : ''}
</body>
</html>`;
}

export interface LoginPageOptions {
  /** Where both forms post to. */
  action: string;
  accounts: Account[];
  clientName?: string;
  error?: string;
  /** What the person typed, kept so a typo can be corrected rather than retyped. */
  email?: string;
}

export function loginPage({ action, accounts, clientName, error, email }: LoginPageOptions): string {
  const groups = ROLE_GROUPS.map(({ role, label }) => ({
    label,
    members: accounts.filter((a) => primaryRole(a) === role).sort((a, b) => a.name.localeCompare(b.name)),
  })).filter((g) => g.members.length > 0);

  const sections = groups
    .map(({ label, members }, i) => {
      const items = members
        .map((a) => {
          const text = `${a.name} — ${a.title ?? a.email}`;
          return `<li><button type="submit" name="sub" value="${escapeHtml(a.sub)}">${escapeHtml(text)}</button></li>`;
        })
        .join('\n');
      return `<section aria-labelledby="group-${i}"><h2 id="group-${i}">${escapeHtml(label)}</h2>\n<ul>\n${items}\n</ul></section>`;
    })
    .join('\n');

  const body = `
<h1>Sign in</h1>
<p class="lead">${escapeHtml(clientName ?? 'Durable Ticketing')} — choose who you are for this session.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}" aria-label="Demo accounts">
${sections || '<p>No accounts are set up yet.</p>'}
</form>
<h2>Or sign in with an email address</h2>
<form method="post" action="${escapeHtml(action)}" class="email">
  <label>Email address
    <input type="email" name="email" autocomplete="username" required value="${escapeHtml(email ?? '')}"${error ? ' aria-invalid="true"' : ''}>
  </label>
  <button type="submit" class="primary">Sign in</button>
</form>
<p class="note">This is the local identity provider that stands in for Auth0 on this machine. It issues real signed tokens, without passwords.</p>`;
  return page(LOGIN_TITLE, body);
}

function primaryRole(account: Account): Role {
  return ROLE_GROUPS.find(({ role }) => account.roles.includes(role))?.role ?? 'requester';
}

/**
 * Auth0 signs out as soon as the portal sends someone to /v2/logout; oidc-provider
 * asks first. Submitting its confirmation form on load (with a button for browsers
 * without JavaScript) gives the portal Auth0's behaviour without skipping the
 * provider's own XSRF check.
 */
export function logoutPage(providerForm: string): string {
  const form = providerForm.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>');
  const body = `
<h1>Signing you out…</h1>
${form}
<noscript><button type="submit" form="op.logoutForm" class="primary">Sign out</button></noscript>`;
  return page('Signing out — Durable Ticketing (local identity)', body, "document.getElementById('op.logoutForm').submit();");
}

export function signedOutPage(): string {
  return page('Signed out — Durable Ticketing (local identity)', '<h1>You are signed out</h1>\n<p class="lead">You can close this window.</p>');
}

export function errorPage(heading: string, details: Record<string, string>): string {
  const rows = Object.entries(details)
    .map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(value)}</dd>`)
    .join('\n');
  return page(`${heading} — Durable Ticketing (local identity)`, `<h1>${escapeHtml(heading)}</h1>\n<dl>\n${rows}\n</dl>`);
}
