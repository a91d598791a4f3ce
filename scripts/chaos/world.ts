import type { Client, Connection } from '@temporalio/client';
import type { Sequelize } from 'sequelize';
import type { Models } from '../../lib/db/models';
import type { MailSink } from '../../mail/sink';
import type { RunningDevServer } from '../../temporal/dev-server';
import type { Stack } from '../stack';
import type { CuttableProxy } from './tcp-proxy';
import type { WebhookTarget } from './webhook-target';

/** What a chaos run drives: the supervised stack and the handles the scenarios inject faults through. */
export interface World {
  stack: Stack;
  api: string;
  tokens: Record<string, string>;
  ids: Record<string, number>;
  categories: Record<string, number>;
  models: Models;
  sequelize: Sequelize;
  temporal: Client;
  temporalConnection: Connection;
  sink: MailSink;
  webhook: WebhookTarget;
  proxy?: CuttableProxy;
  devServer: () => RunningDevServer;
  restartTemporal(): Promise<void>;
  dialect: 'sqlite' | 'mysql';
}

/** One ticket's scripted life in a scenario. */
export interface Lifecycle {
  kind: 'purchase' | 'payroll';
  title: string;
  number?: number;
  error?: string;
  done: boolean;
}
