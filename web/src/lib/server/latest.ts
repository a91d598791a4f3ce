import type { api } from './session';

/**
 * The newest `size` items of a list the API pages oldest first (a ticket's conversation, its
 * timeline), in their order, with how many there are in all. A long ticket's latest message is
 * the one someone is waiting to read: the first page would stop before it.
 */
export async function latest<T>(client: ReturnType<typeof api>, path: string, size = 200): Promise<{ items: T[]; total: number }> {
	const first = await client.get<T[]>(`${path}?limit=${size}`);
	const total = first.pagination?.total ?? first.data.length;
	if (total <= first.data.length) return { items: first.data, total };
	const last = Math.ceil(total / size);
	const page = (n: number) => (n === 1 ? Promise.resolve(first) : client.get<T[]>(`${path}?limit=${size}&page=${n}`));
	const [before, end] = await Promise.all([page(last - 1), page(last)]);
	return { items: [...before.data, ...end.data].slice(-size), total };
}
