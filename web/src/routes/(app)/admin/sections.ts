/** The console's sections, in the order of its tab bar and overview. `adminOnly`: leads do not see it (the API refuses them). */
export const SECTIONS = [
	{ href: '/admin/departments', label: 'Departments', about: 'Departments and their heads.' },
	{ href: '/admin/teams', label: 'Teams', about: 'Teams, their department, calendar, assignment strategy and members.' },
	{ href: '/admin/calendars', label: 'Calendars', about: 'Business hours, holidays and a preview of the next working time.' },
	{ href: '/admin/sla-policies', label: 'SLA policies', about: 'Targets per department or team and priority, with escalation ladders.' },
	{ href: '/admin/categories', label: 'Categories', about: 'Categories, custom fields and approval rules.' },
	{ href: '/admin/routing', label: 'Routing', about: 'Routing rules in the order they are tried.' },
	{ href: '/admin/templates', label: 'Templates', about: 'Notification email templates with a rendered preview.' },
	{ href: '/admin/inbound', label: 'Inbound email', about: 'Every email received and what became of it.', adminOnly: true },
	{ href: '/admin/audit', label: 'Audit log', about: 'Who changed what and when, before and after.', adminOnly: true }
] as const;
