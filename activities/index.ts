import type { Logger } from 'pino';
import type { Sequelize } from 'sequelize';
import type { Models } from '../lib/db/models';
import { createAssignmentActivities } from './assignment';
import { createNotificationActivities } from './notifications';
import { createProjectionActivities } from './projection';

export interface ActivityDeps {
  sequelize: Sequelize;
  models: Models;
  logger: Logger;
  /** Where `page_oncall` escalations are posted, when configured. */
  oncallWebhookUrl?: string;
}

/** Every activity the ticket workflow may call, built over injected dependencies so tests can pass real ones. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProjectionActivities(deps),
    ...createAssignmentActivities(deps),
    ...createNotificationActivities(deps),
  };
}
