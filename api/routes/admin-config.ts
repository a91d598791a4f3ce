import type { Client } from '@temporalio/client';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Models } from '../../lib/db/models';
import { ApprovalRuleBody, CategoryCreateBody, CategoryEditBody, createCategoryAdmin, FieldSchemaEditBody } from '../admin/categories';
import { createDepartmentAdmin, DepartmentCreateBody, DepartmentEditBody } from '../admin/departments';
import { createRoutingRuleAdmin, RoutingOrderBody, RoutingRuleCreateBody, RoutingRuleEditBody } from '../admin/routing-rules';
import { createMembershipFanOut } from '../admin/team-membership';
import { createTeamAdmin, MemberBody, TeamCreateBody, TeamEditBody } from '../admin/teams';
import { VersionQuery } from '../admin/versioned';
import { principalOf } from '../auth';
import { pagination, sendData, sendList } from '../envelope';
import { forbidden, parse } from '../errors';
import { PageQuery, RecordId } from '../schemas';

export const CategoryListQuery = PageQuery.extend({ includeArchived: z.enum(['true', 'false']).default('false').transform((v) => v === 'true') });

/** Leads watch queues and routing, so they may read the organisation's set-up; only admins change it. */
function readers(req: Request, _res: Response, next: NextFunction): void {
  const roles = principalOf(req).roles;
  next(roles.includes('admin') || roles.includes('lead') ? undefined : forbidden('Only administrators and team leads may read the organisation set-up'));
}

function writers(req: Request, _res: Response, next: NextFunction): void {
  next(principalOf(req).roles.includes('admin') ? undefined : forbidden('Only administrators may change the organisation'));
}

/**
 * Departments, teams and members, categories with their custom fields and approval
 * rules, and routing rules. Every change is validated, version-checked and audited;
 * changes apply to tickets raised afterwards (each ticket runs on the snapshot it started with),
 * except team memberships, which open tickets of the team take up through a durable fan-out.
 */
export function createAdminConfigRouter({ models, client, taskQueue }: { models: Models; client: Client; taskQueue: string }): Router {
  const router = Router();
  const departments = createDepartmentAdmin(models);
  const teams = createTeamAdmin(models, createMembershipFanOut({ models, client, taskQueue }));
  const categories = createCategoryAdmin(models);
  const routing = createRoutingRuleAdmin(models);
  const id = (req: Request, name = 'id') => parse(RecordId, req.params[name], name);
  const list = async (req: Request, res: Response, read: (page: number, limit: number) => Promise<{ items: unknown[]; total: number }>) => {
    const { page, limit } = parse(PageQuery, req.query);
    const { items, total } = await read(page, limit);
    sendList(req, res, items, pagination(page, limit, total));
  };

  router.get('/departments', readers, (req, res) => list(req, res, departments.list));
  router.post('/departments', writers, async (req, res) => sendData(req, res, await departments.create(principalOf(req), parse(DepartmentCreateBody, req.body ?? {})), 201));
  router.put('/departments/:id', writers, async (req, res) => sendData(req, res, await departments.update(principalOf(req), id(req), parse(DepartmentEditBody, req.body ?? {}))));

  router.get('/teams', readers, (req, res) => list(req, res, teams.list));
  router.post('/teams', writers, async (req, res) => sendData(req, res, await teams.create(principalOf(req), parse(TeamCreateBody, req.body ?? {})), 201));
  router.get('/teams/:id', readers, async (req, res) => sendData(req, res, await teams.get(id(req))));
  router.put('/teams/:id', writers, async (req, res) => sendData(req, res, await teams.update(principalOf(req), id(req), parse(TeamEditBody, req.body ?? {}))));
  router.put('/teams/:id/members/:userId', writers, async (req, res) => {
    sendData(req, res, await teams.putMember(principalOf(req), id(req), id(req, 'userId'), parse(MemberBody, req.body ?? {})));
  });
  router.delete('/teams/:id/members/:userId', writers, async (req, res) => {
    sendData(req, res, await teams.removeMember(principalOf(req), id(req), id(req, 'userId'), parse(VersionQuery, req.query).expectedVersion));
  });

  router.get('/categories', readers, async (req, res) => {
    const { page, limit, includeArchived } = parse(CategoryListQuery, req.query);
    const { items, total } = await categories.list(page, limit, includeArchived);
    sendList(req, res, items, pagination(page, limit, total));
  });
  router.post('/categories', writers, async (req, res) => sendData(req, res, await categories.create(principalOf(req), parse(CategoryCreateBody, req.body ?? {})), 201));
  router.get('/categories/:id', readers, async (req, res) => sendData(req, res, await categories.get(id(req))));
  router.put('/categories/:id', writers, async (req, res) => sendData(req, res, await categories.update(principalOf(req), id(req), parse(CategoryEditBody, req.body ?? {}))));
  router.put('/categories/:id/fields', writers, async (req, res) => {
    sendData(req, res, await categories.updateFields(principalOf(req), id(req), parse(FieldSchemaEditBody, req.body ?? {})));
  });
  router.put('/categories/:id/approval-rule', writers, async (req, res) => {
    sendData(req, res, await categories.updateApprovalRule(principalOf(req), id(req), parse(ApprovalRuleBody, req.body ?? {})));
  });

  router.get('/routing-rules', readers, (req, res) => list(req, res, routing.list));
  router.post('/routing-rules', writers, async (req, res) => sendData(req, res, await routing.create(principalOf(req), parse(RoutingRuleCreateBody, req.body ?? {})), 201));
  // Registered before /:id so "order" is never read as an id.
  router.put('/routing-rules/order', writers, async (req, res) => sendData(req, res, await routing.reorder(principalOf(req), parse(RoutingOrderBody, req.body ?? {}))));
  router.put('/routing-rules/:id', writers, async (req, res) => sendData(req, res, await routing.update(principalOf(req), id(req), parse(RoutingRuleEditBody, req.body ?? {}))));
  router.delete('/routing-rules/:id', writers, async (req, res) => {
    sendData(req, res, await routing.remove(principalOf(req), id(req), parse(VersionQuery, req.query).expectedVersion));
  });
  return router;
}
