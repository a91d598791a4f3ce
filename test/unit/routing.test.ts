import { routeTicket, type RoutingInput } from '../../workflows/domain/routing';
import type { RoutingRule } from '../../workflows/domain/types';

const requester = { id: 1, name: 'Emma', email: 'emma@example.com', departmentId: 4, location: 'Berlin', vip: false };
const input = (overrides: Partial<RoutingInput> = {}): RoutingInput => ({
  categoryId: 2,
  title: 'Laptop request',
  description: 'Need a new laptop',
  requester,
  ...overrides,
});
const rules: RoutingRule[] = [
  { id: 1, name: 'Network words', position: 10, teamId: 20, conditions: { categoryIds: [2, 3], keywords: ['vpn', 'wi-fi', 'printer jam'] } },
  { id: 2, name: 'VIP', position: 20, teamId: 30, conditions: { vip: true } },
  { id: 3, name: 'New York facilities', position: 5, teamId: 40, conditions: { requesterLocations: ['new york'], categoryIds: [9] } },
];
const config = { routingRules: rules, category: { id: 2, code: 'it-laptop', name: 'Laptop', departmentId: 1, departmentCode: 'IT', defaultTeamId: 10 }, defaultTeamId: 99 };

describe('routing', () => {
  test('when a keyword appears as a whole word in the description, then its rule wins', () => {
    expect(routeTicket(input({ description: 'My VPN drops every hour' }), config)).toMatchObject({ teamId: 20, reason: { kind: 'rule', ruleId: 1 } });
  });

  test('when a keyword only appears inside another word, then it does not match', () => {
    expect(routeTicket(input({ description: 'vpnclient is installed' }), config).teamId).toBe(10);
  });

  test('when a multi-word keyword appears as a phrase, then it matches', () => {
    expect(routeTicket(input({ title: 'Printer jam on floor 3' }), config).teamId).toBe(20);
  });

  test('when several rules match, then the lowest position wins', () => {
    const vipWithVpn = input({ description: 'vpn', requester: { ...requester, vip: true } });
    expect(routeTicket(vipWithVpn, config).teamId).toBe(20);
  });

  test('when a rule names other categories, then it does not apply', () => {
    expect(routeTicket(input({ categoryId: 5, description: 'vpn' }), { ...config, category: { ...config.category, id: 5 } }).teamId).toBe(10);
  });

  test('when a location rule compares, then case does not matter', () => {
    const newYorker = input({ categoryId: 9, requester: { ...requester, location: 'New York' } });
    expect(routeTicket(newYorker, config)).toMatchObject({ teamId: 40, reason: { ruleName: 'New York facilities' } });
  });

  test('when nothing matches, then the category default team is used', () => {
    expect(routeTicket(input(), config)).toEqual({ teamId: 10, reason: { kind: 'category_default' } });
  });

  test('when nothing matches and the category has no team, then the organisation default is used', () => {
    expect(routeTicket(input(), { ...config, category: { ...config.category, defaultTeamId: null } })).toEqual({
      teamId: 99,
      reason: { kind: 'organisation_default' },
    });
  });
});
