import type { Role } from '../claims';

/**
 * The demo organisation `npm start` seeds once: four departments, teams with members,
 * people of every role, categories with custom fields, seed 000's SLA table and a
 * Mon–Fri calendar with holidays. Tests sign in as these people too.
 */
export interface DemoUser {
  key: string;
  name: string;
  email: string;
  title: string;
  department: string;
  roles: Role[];
  manager?: string;
  location?: string;
  vip?: boolean;
}

export const DEMO_DEPARTMENTS = [
  { code: 'IT', name: 'IT', head: 'dana' },
  { code: 'HR', name: 'Human Resources', head: 'hannah' },
  { code: 'FAC', name: 'Facilities', head: 'felix' },
  { code: 'FIN', name: 'Finance', head: 'carla' },
] as const;

export const DEMO_USERS: DemoUser[] = [
  { key: 'emma', name: 'Emma Employee', email: 'emma@example.com', title: 'Employee, Finance', department: 'FIN', roles: ['requester'], manager: 'mark', location: 'Berlin' },
  { key: 'priya', name: 'Priya Patel', email: 'priya@example.com', title: 'VP Sales (VIP)', department: 'FIN', roles: ['requester'], manager: 'mark', location: 'New York', vip: true },
  { key: 'mark', name: 'Mark Manager', email: 'mark@example.com', title: 'Manager, Finance', department: 'FIN', roles: ['requester', 'manager'], manager: 'carla' },
  { key: 'carla', name: 'Carla CFO', email: 'carla@example.com', title: 'Chief Financial Officer', department: 'FIN', roles: ['requester', 'manager'] },
  { key: 'alex', name: 'Alex Agent', email: 'alex@example.com', title: 'Agent, IT Service Desk', department: 'IT', roles: ['requester', 'agent'], manager: 'lee' },
  { key: 'sam', name: 'Sam Support', email: 'sam@example.com', title: 'Agent, IT Service Desk', department: 'IT', roles: ['requester', 'agent'], manager: 'lee' },
  { key: 'lee', name: 'Lee Lead', email: 'lee@example.com', title: 'Team lead, IT Service Desk', department: 'IT', roles: ['requester', 'agent', 'lead'], manager: 'dana' },
  { key: 'nina', name: 'Nina Network', email: 'nina@example.com', title: 'Agent, IT Infrastructure', department: 'IT', roles: ['requester', 'agent'], manager: 'dana' },
  { key: 'dana', name: 'Dana Director', email: 'dana@example.com', title: 'Head of IT', department: 'IT', roles: ['requester', 'manager'] },
  { key: 'harper', name: 'Harper Hughes', email: 'harper@example.com', title: 'Agent, People Operations', department: 'HR', roles: ['requester', 'agent'], manager: 'hannah' },
  { key: 'hannah', name: 'Hannah Head', email: 'hannah@example.com', title: 'Head of HR', department: 'HR', roles: ['requester', 'manager', 'lead'] },
  { key: 'frank', name: 'Frank Fixit', email: 'frank@example.com', title: 'Agent, Facilities', department: 'FAC', roles: ['requester', 'agent'], manager: 'felix' },
  { key: 'felix', name: 'Felix Facilities', email: 'felix@example.com', title: 'Head of Facilities', department: 'FAC', roles: ['requester', 'manager', 'lead'] },
  { key: 'fiona', name: 'Fiona Finance', email: 'fiona@example.com', title: 'Agent, Accounts Payable', department: 'FIN', roles: ['requester', 'agent'], manager: 'mark' },
  { key: 'ada', name: 'Ada Admin', email: 'ada@example.com', title: 'Administrator', department: 'IT', roles: ['requester', 'admin'] },
];

export function demoSubject(key: string): string {
  return `local|${key}`;
}

export const DEMO_CALENDARS = [
  {
    code: 'eu-office',
    name: 'Berlin office hours',
    timeZone: 'Europe/Berlin',
    weeklyHours: weekdays([{ start: '09:00', end: '17:00' }]),
    holidays: [
      { date: '2026-12-24', name: 'Christmas Eve' },
      { date: '2026-12-25', name: 'Christmas Day' },
      { date: '2026-12-26', name: 'Boxing Day' },
      { date: '2027-01-01', name: "New Year's Day" },
      { date: '2027-04-02', name: 'Good Friday' },
      { date: '2027-04-05', name: 'Easter Monday' },
    ],
  },
  {
    code: 'us-office',
    name: 'New York office hours',
    timeZone: 'America/New_York',
    weeklyHours: weekdays([{ start: '09:00', end: '17:00' }]),
    holidays: [
      { date: '2026-11-26', name: 'Thanksgiving' },
      { date: '2026-12-25', name: 'Christmas Day' },
      { date: '2027-01-01', name: "New Year's Day" },
    ],
  },
];

function weekdays(intervals: Array<{ start: string; end: string }>) {
  return Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, intervals]));
}

export const DEMO_TEAMS = [
  { code: 'it-service-desk', name: 'IT Service Desk', department: 'IT', calendar: 'eu-office', strategy: 'round_robin', members: [['alex', 'agent'], ['sam', 'agent'], ['lee', 'lead']] },
  { code: 'it-infrastructure', name: 'IT Infrastructure', department: 'IT', calendar: 'eu-office', strategy: 'least_loaded', members: [['nina', 'agent'], ['lee', 'lead']] },
  { code: 'people-ops', name: 'People Operations', department: 'HR', calendar: 'eu-office', strategy: 'queue', members: [['harper', 'agent'], ['hannah', 'lead']] },
  { code: 'facilities-ops', name: 'Facilities Operations', department: 'FAC', calendar: 'us-office', strategy: 'round_robin', members: [['frank', 'agent'], ['felix', 'lead']] },
  { code: 'accounts-payable', name: 'Accounts Payable', department: 'FIN', calendar: 'eu-office', strategy: 'queue', members: [['fiona', 'agent'], ['mark', 'lead']] },
] as const;

export const DEFAULT_TEAM = 'it-service-desk';

type Field = { key: string; label: string; type: string; required: boolean; options?: string[]; min?: number; max?: number };
const text = (key: string, label: string, required = false): Field => ({ key, label, type: 'text', required });
const date = (key: string, label: string, required = false): Field => ({ key, label, type: 'date', required });

/** Seed 004's purchase approvals: < 1,000 manager; 1,000–5,000 manager then department head; > 5,000 adds the finance committee (all). */
const managerStep = { name: 'Manager', approvers: { kind: 'requester_manager' }, mode: 'any', remindAfterHours: 8, escalateAfterHours: 16 } as const;
const headStep = { name: 'Department head', approvers: { kind: 'department_head' }, mode: 'any', remindAfterHours: 8, escalateAfterHours: 16 } as const;
const committeeStep = { name: 'Finance committee', approvers: { kind: 'group', group: 'finance-committee' }, mode: 'all', remindAfterHours: 16 } as const;
export const PURCHASE_APPROVAL = {
  kind: 'conditional',
  field: 'amount',
  branches: [
    { below: 1000, steps: [managerStep] },
    { min: 1000, below: 5000.01, steps: [managerStep, headStep] },
    { min: 5000.01, steps: [managerStep, headStep, committeeStep] },
  ],
} as const;

export const DEMO_APPROVAL_GROUPS = [{ code: 'finance-committee', name: 'Finance committee', members: ['carla', 'fiona', 'hannah'] }];

export const DEMO_CATEGORIES: Array<{ code: string; name: string; department: string; parent?: string; team?: string; fields: Field[]; approval?: unknown }> = [
  { code: 'it-hardware', name: 'Hardware', department: 'IT', fields: [] },
  {
    code: 'it-laptop',
    name: 'Laptop request',
    department: 'IT',
    parent: 'it-hardware',
    team: 'it-service-desk',
    fields: [
      { key: 'model', label: 'Model', type: 'select', required: false, options: ['Standard 14"', 'Developer 16"', 'Ultralight 13"'] },
      date('needed_by', 'Needed by'),
    ],
  },
  { code: 'it-access', name: 'Access request', department: 'IT', team: 'it-service-desk', fields: [text('system', 'System', true), text('justification', 'Business justification')] },
  { code: 'it-network', name: 'Network or VPN problem', department: 'IT', team: 'it-infrastructure', fields: [text('location', 'Where are you working from')] },
  { code: 'it-software', name: 'Software installation', department: 'IT', team: 'it-service-desk', fields: [text('software', 'Software', true)] },
  { code: 'hr-payroll', name: 'Payroll question', department: 'HR', team: 'people-ops', fields: [] },
  {
    code: 'hr-leave',
    name: 'Leave request',
    department: 'HR',
    team: 'people-ops',
    fields: [date('start_date', 'First day', true), date('end_date', 'Last day', true)],
    approval: { kind: 'chain', steps: [managerStep] },
  },
  { code: 'fac-maintenance', name: 'Maintenance', department: 'FAC', team: 'facilities-ops', fields: [text('room', 'Building and room', true)] },
  { code: 'fac-desk-move', name: 'Desk move', department: 'FAC', team: 'facilities-ops', fields: [text('from_desk', 'Current desk'), text('to_desk', 'New desk')] },
  {
    code: 'fin-purchase',
    name: 'Purchase request',
    department: 'FIN',
    team: 'accounts-payable',
    fields: [{ key: 'amount', label: 'Amount (EUR)', type: 'money', required: true, min: 0 }, text('vendor', 'Vendor', true)],
    approval: PURCHASE_APPROVAL,
  },
  { code: 'fin-expense', name: 'Expense reimbursement', department: 'FIN', team: 'accounts-payable', fields: [{ key: 'amount', label: 'Amount (EUR)', type: 'money', required: true, min: 0 }] },
];

/** Seed 000's SLA table, applied to every department (minutes). */
export const DEMO_SLA = [
  { priority: 'critical', firstResponse: 15, resolution: 120, ladder: [{ afterMinutes: 15, action: 'notify_role', role: 'department_manager' }, { afterMinutes: 30, action: 'notify_role', role: 'admin' }] },
  { priority: 'high', firstResponse: 60, resolution: 480, ladder: [{ afterMinutes: 60, action: 'notify_role', role: 'department_manager' }, { afterMinutes: 120, action: 'assign_backup' }] },
  { priority: 'medium', firstResponse: 240, resolution: 1440, ladder: [{ afterMinutes: 240, action: 'notify_role', role: 'department_manager' }] },
  { priority: 'low', firstResponse: 1440, resolution: 4320, ladder: [{ afterMinutes: 1440, action: 'notify_role', role: 'department_manager' }] },
] as const;

export const DEMO_ROUTING_RULES = [
  {
    name: 'Network words in IT requests go to Infrastructure',
    categories: ['it-hardware', 'it-laptop', 'it-access', 'it-software'],
    conditions: { keywords: ['vpn', 'wifi', 'wi-fi', 'network', 'firewall'] },
    team: 'it-infrastructure',
  },
  { name: 'VIP hardware requests go to the Service Desk', categories: ['it-laptop', 'it-hardware'], conditions: { vip: true }, team: 'it-service-desk' },
];
