import { Router } from 'express';
import { z } from 'zod';
import type { Organisation } from '../../lib/db/organisation';
import { PRIORITIES } from '../../workflows/domain/types';
import { principalOf } from '../auth';
import type { PersonRef } from '../contract/types';
import { sendData } from '../envelope';
import { forbidden, notFound, parse } from '../errors';
import { RecordId, searchText } from '../schemas';

export const PeopleQuery = z.object({ q: searchText(2, 100) });

/** Who am I, what can I ask for, who is on a team: what the portal's forms need. */
export function createDirectoryRouter({ organisation }: { organisation: Organisation }): Router {
  const router = Router();

  router.get('/me', (req, res) => {
    const { authSubject: _subject, ...me } = principalOf(req);
    sendData(req, res, me);
  });

  router.get('/catalog', async (req, res) => {
    sendData(req, res, { categories: await organisation.categories(), priorities: PRIORITIES });
  });

  /** People pickers: anyone signed in may find a colleague by name or email to delegate to, watch with or mention. */
  router.get('/people', async (req, res) => {
    principalOf(req);
    const { q } = parse(PeopleQuery, req.query);
    const people: PersonRef[] = await organisation.findPeople(q, 20);
    sendData(req, res, people);
  });

  router.get('/teams', async (req, res) => {
    principalOf(req);
    sendData(req, res, await organisation.teams());
  });

  router.get('/teams/:id/members', async (req, res) => {
    const user = principalOf(req);
    const teamId = parse(RecordId, req.params.id, 'id');
    const isStaff = user.roles.some((r) => r === 'agent' || r === 'lead' || r === 'admin' || r === 'manager');
    if (!isStaff) throw forbidden('Only staff may list team members');
    const members = await organisation.teamMembers(teamId);
    if (!members) throw notFound('Team');
    sendData(req, res, members);
  });

  return router;
}
