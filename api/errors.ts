import type { NextFunction, Request, Response } from 'express';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { UnauthorizedError, InsufficientScopeError } from 'express-oauth2-jwt-bearer';
import type { Logger } from 'pino';
import { ConnectionError, DatabaseError } from 'sequelize';
import { z } from 'zod';
import { TicketErrorType } from '../workflows/definitions';
import { meta } from './envelope';

import { ApiError, type FieldError } from './contract/api-error';
import { redactPath } from '../lib/observability/redact';

export { ApiError, type FieldError };

export const notFound = (what = 'Resource') => new ApiError(404, 'NOT_FOUND', `${what} not found`);
export const forbidden = (message: string) => new ApiError(403, 'FORBIDDEN', message);
export const validationError = (details: FieldError[], message = 'Invalid input data') => new ApiError(400, 'VALIDATION_ERROR', message, details);

export function fromZod(error: z.ZodError, prefix?: string): ApiError {
  const fieldOf = (path: PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || '(body)';
  return validationError(
    error.issues.flatMap((issue) =>
      // An unexpected property is named itself, not its parent object.
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ field: fieldOf([...issue.path, key]), message: 'is not a recognised field' }))
        : [{ field: fieldOf(issue.path), message: issue.message }],
    ),
  );
}

/** Validates input with a schema, or throws the 400 that names every offending field. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, prefix?: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw fromZod(result.error, prefix);
  return result.data;
}

/** How a refusal from inside the ticket workflow reaches the caller. */
const WORKFLOW_FAILURES: Record<string, { status: number; code: string }> = {
  [TicketErrorType.IllegalTransition]: { status: 409, code: 'ILLEGAL_TRANSITION' },
  [TicketErrorType.StaleVersion]: { status: 409, code: 'STALE_VERSION' },
  [TicketErrorType.Forbidden]: { status: 403, code: 'FORBIDDEN' },
  [TicketErrorType.InvalidInput]: { status: 400, code: 'VALIDATION_ERROR' },
  [TicketErrorType.IdempotencyConflict]: { status: 409, code: 'IDEMPOTENCY_CONFLICT' },
};

/** Socket-level failures of a query already sent (mysql2 codes): the server went away, not the query. */
const LOST_CONNECTION = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);

/**
 * The read-model database unreachable (stopped, restarting, network cut): a 503 the client can
 * retry, not a 500 that reads as a bug. Workflows go on meanwhile and projections catch up.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof ConnectionError) return true;
  const code = (err as { parent?: { code?: string } })?.parent?.code;
  return err instanceof DatabaseError && code !== undefined && LOST_CONNECTION.has(code);
}

export const DATABASE_UNAVAILABLE_MESSAGE = 'The ticket database is unavailable right now; retry shortly (a change sent with an Idempotency-Key can be retried with the same key)';

/** The answer an error deserves, or undefined for an unexpected one (a 500). */
export function toApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof z.ZodError) return fromZod(err);
  if (err instanceof UnauthorizedError || err instanceof InsufficientScopeError) {
    return new ApiError(err.status, 'UNAUTHORIZED', err.message || 'Authentication required');
  }
  if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
    const mapped = WORKFLOW_FAILURES[err.cause.type ?? ''];
    if (mapped) {
      const details = (err.cause.details ?? []) as Array<{ field?: string }>;
      const field = details.find((d) => d && typeof d.field === 'string')?.field;
      return new ApiError(mapped.status, mapped.code, err.cause.message, field ? [{ field, message: err.cause.message }] : []);
    }
  }
  if (isDatabaseUnavailable(err)) return new ApiError(503, 'DATABASE_UNAVAILABLE', DATABASE_UNAVAILABLE_MESSAGE);
  if (err instanceof WorkflowNotFoundError) return notFound('Ticket');
  if (err instanceof WorkflowExecutionAlreadyStartedError) return new ApiError(409, 'CONFLICT', 'The ticket already exists');
  const body = err as { type?: string; status?: number; expose?: boolean; message?: string };
  if (body?.type === 'entity.parse.failed') return new ApiError(400, 'MALFORMED_JSON', 'The request body is not valid JSON');
  if (body?.type === 'entity.too.large') return new ApiError(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large');
  if (body?.expose && body.status && body.status < 500) return new ApiError(body.status, 'BAD_REQUEST', body.message ?? 'Bad request');
  return undefined;
}

/** The one place errors become HTTP answers; anything unexpected is logged with the request id and answered 500. */
export function errorMiddleware(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    if (res.headersSent) {
      // Answered already (the SCIM routers answer, then a follow-up such as starting a hand-over
      // workflow fails): a second answer would throw, so the failure is logged where ops look.
      logger.error({ err, requestId: req.id, path: redactPath(req.path) }, 'failed after the answer was sent');
      // A stream cut short (a CSV download whose database failed half-way) would otherwise stay
      // open for good: closing it without the final chunk tells the client the download failed.
      if (!res.writableEnded) res.destroy();
      return;
    }
    const apiError = toApiError(err);
    if (apiError) {
      if (apiError.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
      if (apiError.code === 'DATABASE_UNAVAILABLE') {
        res.setHeader('Retry-After', '5');
        logger.warn({ err, requestId: req.id, path: redactPath(req.path) }, 'database unavailable');
      }
      res.status(apiError.status).json({
        success: false,
        error: { code: apiError.code, message: apiError.message, details: apiError.details },
        meta: meta(req),
      });
      return;
    }
    logger.error({ err, requestId: req.id, path: redactPath(req.path) }, 'unhandled error');
    res.status(500).json({ success: false, error: { code: 'INTERNAL', message: 'Internal server error', details: [] }, meta: meta(req) });
  };
}
