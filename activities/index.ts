import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Sequelize } from 'sequelize';
import type { Models } from '../lib/db/models';
import type { Storage } from '../attachments/storage';
import type { EmailRelay } from '../mail/relay';
import type { MailDeps } from '../mail/sender';
import { createAssignmentActivities } from './assignment';
import { createOutboxActivities } from './email-outbox';
import { createFanOutActivities } from './fan-out';
import { createNotificationActivities } from './notifications';
import { createPersonDeactivationActivities } from './person-deactivation';
import { createProjectAndNotifyActivities } from './project-and-notify';
import { createProjectionActivities } from './projection';
import { createRetentionActivities } from './retention';

export interface ActivityDeps {
  sequelize: Sequelize;
  models: Models;
  logger: Logger;
  /** Where `page_oncall` escalations are posted, when configured. */
  oncallWebhookUrl?: string;
  /** Email out through Postmark; without it notifications stay in the portal. */
  mail?: MailDeps;
  /** Where activities start workflows of their own (email delivery): the worker's client and task queue. */
  temporal?: { client: Client; taskQueue: string };
  /** Where attachment bytes live (local folder or S3): the retention pass deletes from it. */
  attachmentStorage?: Storage;
  /**
   * Sends the emails `projectAndNotify` records, beside the ticket. The worker process
   * (temporal/worker-main.ts) and the test harnesses pass one and wait for it to be idle before
   * closing the database; without one, `projectAndNotify` keeps its own, which nobody drains.
   */
  emailRelay?: EmailRelay;
}

/** Every activity the workflows may call, built over injected dependencies so tests can pass real ones. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createProjectionActivities(deps),
    ...createAssignmentActivities(deps),
    ...createNotificationActivities(deps),
    ...createProjectAndNotifyActivities(deps),
    ...createOutboxActivities(deps),
    ...createFanOutActivities(deps),
    ...createRetentionActivities(deps),
    ...createPersonDeactivationActivities(deps),
  };
}
