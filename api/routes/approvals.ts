import { Router } from 'express';
import { principalOf } from '../auth';
import { pagination, sendList } from '../envelope';
import { fromZod } from '../errors';
import { PageQuery } from '../schemas';
import type { TicketReads } from '../ticket-reads';

/** "Approvals pending for me": the approver's queue, oldest waiting first. */
export function createApprovalsRouter({ reads }: { reads: TicketReads }): Router {
  const router = Router();
  router.get('/pending', async (req, res) => {
    const parsed = PageQuery.safeParse(req.query);
    if (!parsed.success) throw fromZod(parsed.error);
    const { page, limit } = parsed.data;
    const all = await reads.pendingApprovals(principalOf(req).id);
    sendList(req, res, all.slice((page - 1) * limit, page * limit), pagination(page, limit, all.length));
  });
  return router;
}
