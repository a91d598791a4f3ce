import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { devServerSearchAttributeArgs } from './search-attributes';

export interface DevServerOptions {
  cli: string;
  port: number;
  uiPort?: number;
  namespace: string;
  /** Persistence file; omitted means in-memory (tests). */
  dbFile?: string;
  headless?: boolean;
  logFile?: string;
  /** The environment the services run with (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The services' environment without OpenTelemetry's variables, which are meant for our
 * services: the server reads them too and refuses to start on values ours accept (exporter
 * `console`, a comma list, protocol `http/protobuf`), and with `otlp` it would export over gRPC
 * to the collector's HTTP port our services use.
 */
export function devServerEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('OTEL_')));
}

export const DEV_SERVER_FILE_PRAGMAS = ['journal_mode=wal', 'synchronous=normal'];

/**
 * Runs `temporal server start-dev` with the project's search attributes and the
 * dynamic config update-with-start needs, and waits until its frontend answers.
 */
export async function startDevServer(options: DevServerOptions): Promise<RunningDevServer> {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    '--dynamic-config-value',
    'frontend.enableExecuteMultiOperation=true',
    '--dynamic-config-value',
    'frontend.enableUpdateWorkflowExecution=true',
    // The matcher that orders backlogged tasks by their priority key (tickets carry theirs);
    // TEMPORAL_DEV_PRIORITY_MATCHER=false keeps the server's default matcher.
    ...(process.env.TEMPORAL_DEV_PRIORITY_MATCHER === 'false' ? [] : ['--dynamic-config-value', 'matching.useNewMatcher=true']),
    ...devServerSearchAttributeArgs(),
  ];
  if (options.dbFile) {
    fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
    // Left to itself the dev server keeps its file in SQLite's rollback-journal mode with a
    // full sync, about 16 fsyncs and 500 page writes per created ticket. Write-ahead logging
    // with a sync at checkpoints (the trade the embedded read tables make, lib/db/connection.ts):
    // a crash of any process loses nothing, a power cut can lose the last commits.
    args.push('--db-filename', options.dbFile, ...DEV_SERVER_FILE_PRAGMAS.flatMap((pragma) => ['--sqlite-pragma', pragma]));
  }
  if (options.headless || options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort), '--ui-ip', '127.0.0.1');

  const log = options.logFile ? fs.openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(options.cli, args, { stdio: ['ignore', log, log], env: devServerEnvironment(options.env ?? process.env) });
  const address = `127.0.0.1:${options.port}`;
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`temporal server start-dev exited early (see ${options.logFile ?? 'its output'})`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.describeNamespace({ namespace: options.namespace });
      await connection.close();
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`Temporal dev server did not become ready at ${address}: ${String(err)}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return {
    address,
    uiUrl: options.headless || options.uiPort === undefined ? null : `http://127.0.0.1:${options.uiPort}`,
    process: child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exitPromise;
      clearTimeout(timer);
    },
  };
}
