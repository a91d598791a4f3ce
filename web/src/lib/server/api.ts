import { config } from './config';
import { ApiError, type FieldError } from '$contract/api-error';
import type { Pagination } from '$contract/types';

export { ApiError, type FieldError };

type Envelope<T> =
	| { success: true; data: T; pagination?: Pagination }
	| { success: false; error: { code: string; message: string; details?: FieldError[] } };

export interface ApiResult<T> {
	data: T;
	pagination?: Pagination;
}

export interface RequestOptions {
	token: string;
	method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
	body?: unknown;
	headers?: Record<string, string>;
}

/**
 * One call to the API: adds the bearer token, unwraps the envelope, and throws ApiError for
 * anything but success. A write the ticket engine did not confirm in time (503 NOT_CONFIRMED)
 * is sent again with the same Idempotency-Key, which returns its result without applying it twice.
 */
export async function request<T>(path: string, options: RequestOptions): Promise<ApiResult<T>> {
	const retriable = options.method !== undefined && options.method !== 'GET' && Object.keys(options.headers ?? {}).some((h) => h.toLowerCase() === 'idempotency-key');
	for (let attempt = 1; ; attempt += 1) {
		try {
			return await requestOnce<T>(path, options);
		} catch (err) {
			if (!(retriable && attempt < 5 && err instanceof ApiError && err.code === 'NOT_CONFIRMED')) throw err;
		}
	}
}

async function requestOnce<T>(path: string, { token, method = 'GET', body, headers = {} }: RequestOptions): Promise<ApiResult<T>> {
	let response: Response;
	try {
		response = await fetch(`${config().apiBase}${path}`, {
			method,
			headers: {
				accept: 'application/json',
				authorization: `Bearer ${token}`,
				...(body === undefined ? {} : { 'content-type': 'application/json' }),
				...headers
			},
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: AbortSignal.timeout(30_000)
		});
	} catch (cause) {
		console.error(`API ${method} ${path} unreachable`, cause);
		throw new ApiError(503, 'API_UNREACHABLE', 'The ticketing service cannot be reached right now. Try again in a moment.');
	}

	const envelope = (await response.json().catch(() => undefined)) as Envelope<T> | undefined;
	if (envelope?.success === true) return { data: envelope.data, pagination: envelope.pagination };
	if (envelope?.success === false) {
		const { code, message, details = [] } = envelope.error;
		throw new ApiError(response.status, code, message, details);
	}
	console.error(`API ${method} ${path} answered ${response.status} without an envelope`);
	throw new ApiError(502, 'BAD_GATEWAY', 'The ticketing service gave an unexpected answer.');
}
