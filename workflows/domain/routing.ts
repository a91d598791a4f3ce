import type { ConfigSnapshot, RequesterProfile, RoutingConditions, RoutingRule } from './types';

/**
 * Team routing: the first enabled rule whose every stated condition holds wins; with
 * no match, the category's default team, then the organisation's default team.
 */
export interface RoutingInput {
  categoryId: number;
  title: string;
  description: string;
  requester: RequesterProfile;
}

export interface RoutingDecision {
  teamId: number;
  /** The rule that matched, or why the default was used: recorded so history explains itself. */
  reason: { kind: 'rule'; ruleId: number; ruleName: string } | { kind: 'category_default' } | { kind: 'organisation_default' };
}

function words(text: string): Set<string> {
  return new Set(text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean));
}

function keywordMatches(keyword: string, haystack: Set<string>, fullText: string): boolean {
  const normalised = keyword.trim().toLowerCase();
  if (normalised === '') return false;
  // Multi-word keywords ("printer jam") match as a phrase; single words as whole words.
  return normalised.includes(' ') ? fullText.includes(normalised) : haystack.has(normalised);
}

export function conditionsHold(conditions: RoutingConditions, input: RoutingInput): boolean {
  const { requester } = input;
  if (conditions.categoryIds?.length && !conditions.categoryIds.includes(input.categoryId)) return false;
  if (conditions.requesterDepartmentIds?.length) {
    if (requester.departmentId === null || !conditions.requesterDepartmentIds.includes(requester.departmentId)) return false;
  }
  if (conditions.requesterLocations?.length) {
    const location = requester.location?.toLowerCase();
    if (!location || !conditions.requesterLocations.some((l) => l.toLowerCase() === location)) return false;
  }
  if (conditions.vip !== undefined && conditions.vip !== requester.vip) return false;
  if (conditions.keywords?.length) {
    const fullText = `${input.title}\n${input.description}`.toLowerCase();
    const haystack = words(fullText);
    if (!conditions.keywords.some((k) => keywordMatches(k, haystack, fullText))) return false;
  }
  return true;
}

export function routeTicket(input: RoutingInput, config: Pick<ConfigSnapshot, 'routingRules' | 'category' | 'defaultTeamId'>): RoutingDecision {
  const rules: RoutingRule[] = [...config.routingRules].sort((a, b) => a.position - b.position || a.id - b.id);
  for (const rule of rules) {
    if (conditionsHold(rule.conditions, input)) {
      return { teamId: rule.teamId, reason: { kind: 'rule', ruleId: rule.id, ruleName: rule.name } };
    }
  }
  if (config.category.defaultTeamId !== null) {
    return { teamId: config.category.defaultTeamId, reason: { kind: 'category_default' } };
  }
  return { teamId: config.defaultTeamId, reason: { kind: 'organisation_default' } };
}
