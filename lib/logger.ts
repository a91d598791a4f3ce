import pino, { type Logger } from 'pino';

/** Structured JSON logs, one logger per service, so lines from the API and the worker can be told apart. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: service, level, base: { service } });
}
