import type { Logger } from 'pino';
import type { Sequelize } from 'sequelize';
import type { Models } from '../lib/db/models';
import { createAssignmentActivities } from './assignment';
import { createProjectionActivities } from './projection';

export interface ActivityDeps {
  sequelize: Sequelize;
  models: Models;
  logger: Logger;
}

/** Every activity the ticket workflow may call, built over injected dependencies so tests can pass real ones. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProjectionActivities(deps),
    ...createAssignmentActivities(deps),
  };
}
