import type { Request, Response } from 'express';

/** Seed 002's envelope: every answer says success, carries data or error, and the request's id and time. */
export interface Pagination {
  page: number;
  limit: number;
  total: number;
  totalPages: number;
}

export function meta(req: Request) {
  return { timestamp: new Date().toISOString(), requestId: String(req.id ?? '') };
}

export function sendData(req: Request, res: Response, data: unknown, status = 200): void {
  res.status(status).json({ success: true, data, meta: meta(req) });
}

export function sendList(req: Request, res: Response, data: unknown[], pagination: Pagination): void {
  res.status(200).json({ success: true, data, pagination, meta: meta(req) });
}

export function pagination(page: number, limit: number, total: number): Pagination {
  return { page, limit, total, totalPages: Math.max(1, Math.ceil(total / limit)) };
}
