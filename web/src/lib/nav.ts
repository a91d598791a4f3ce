import type { Me, Role } from '$contract/types';

/**
 * The main navigation, one entry per line, in the order shown. An entry without `roles`
 * is for everyone signed in; otherwise for whoever holds at least one of them. Pages
 * of other lanes (reports, imports, admin) add their line here and nothing else in the layout.
 */
export interface NavItem {
	href: string;
	label: string;
	roles?: readonly Role[];
	/** When the entry is the current page; by default its path and everything below it. */
	current?: (url: URL) => boolean;
}

const STAFF: readonly Role[] = ['agent', 'lead'];

export const NAV_ITEMS: readonly NavItem[] = [
	{ href: '/work', label: 'My work', roles: STAFF },
	{ href: '/tickets', label: 'My tickets', current: (url) => url.pathname === '/tickets' && url.searchParams.get('scope') !== 'team' },
	{ href: '/tickets/new', label: 'New ticket', current: (url) => url.pathname === '/tickets/new' },
	{ href: '/tickets?scope=team', label: 'Team queue', roles: STAFF, current: (url) => url.pathname === '/tickets' && url.searchParams.get('scope') === 'team' },
	// For everyone: anyone may be named an approver or a delegate, whatever their roles.
	{ href: '/approvals', label: 'Approvals', current: (url) => url.pathname === '/approvals' },
	{ href: '/out-of-office', label: 'Out of office' },
	{ href: '/reports', label: 'Reports', roles: ['lead', 'manager', 'admin'] },
	{ href: '/imports', label: 'Imports', roles: ['lead', 'admin'] },
	{ href: '/admin', label: 'Admin', roles: ['lead', 'admin'], current: (url) => url.pathname.startsWith('/admin') && !url.pathname.startsWith('/admin/people') },
	{ href: '/admin/people', label: 'People', roles: ['admin'] }
];

export function navFor(user: Pick<Me, 'roles'>): NavItem[] {
	return NAV_ITEMS.filter((item) => !item.roles || item.roles.some((role) => user.roles.includes(role)));
}

export function isCurrent(item: NavItem, url: URL): boolean {
	if (item.current) return item.current(url);
	const path = item.href.split('?')[0]!;
	return url.pathname === path || url.pathname.startsWith(`${path}/`);
}
