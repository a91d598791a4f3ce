import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../lib/config';

/** Connection options shared by the client (API) and the worker: plain on loopback, TLS / API key for a real cluster. */
export function temporalConnectionOptions(temporal: Config['temporal']) {
  const tls = temporal.tls
    ? temporal.tlsCertPath && temporal.tlsKeyPath
      ? { clientCertPair: { crt: fs.readFileSync(temporal.tlsCertPath), key: fs.readFileSync(temporal.tlsKeyPath) } }
      : true
    : undefined;
  return { address: temporal.address, tls, apiKey: temporal.apiKey };
}

export async function connectClient(temporal: Config['temporal']): Promise<Client> {
  const connection = await Connection.connect(temporalConnectionOptions(temporal));
  return new Client({ connection, namespace: temporal.namespace });
}

export async function connectWorker(temporal: Config['temporal']): Promise<NativeConnection> {
  return NativeConnection.connect(temporalConnectionOptions(temporal));
}
