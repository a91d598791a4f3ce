/** `GET /admin/routing-rules` as the console reads it (api/admin/routing-rules.ts). */
export interface RoutingRuleView {
	id: number;
	position: number;
	name: string;
	conditions: RoutingConditionsView;
	teamId: number;
	enabled: boolean;
	version: number;
}

export interface RoutingConditionsView {
	categoryIds?: number[];
	keywords?: string[];
	requesterDepartmentIds?: number[];
	requesterLocations?: string[];
	vip?: boolean;
}

type Names = Record<number, string>;

/** "category is Laptop and the requester is a VIP": the rule as the routing page and its editor read it out. */
export function describeConditions(c: RoutingConditionsView, names: { categories: Names; departments: Names }): string {
	const parts: string[] = [];
	if (c.categoryIds?.length) parts.push(`category is ${c.categoryIds.map((id) => names.categories[id] ?? `#${id}`).join(' or ')}`);
	if (c.keywords?.length) parts.push(`the text mentions ${c.keywords.map((k) => `“${k}”`).join(', ')}`);
	if (c.requesterDepartmentIds?.length) parts.push(`the requester is in ${c.requesterDepartmentIds.map((id) => names.departments[id] ?? `#${id}`).join(' or ')}`);
	if (c.requesterLocations?.length) parts.push(`the requester works in ${c.requesterLocations.join(' or ')}`);
	if (c.vip !== undefined) parts.push(c.vip ? 'the requester is a VIP' : 'the requester is not a VIP');
	return parts.join(' and ') || 'nothing is stated yet';
}

/** A comma- or line-separated list as typed, trimmed, empties dropped. */
export const splitList = (text: string) =>
	text
		.split(/[,\n]/)
		.map((s) => s.trim())
		.filter(Boolean);
