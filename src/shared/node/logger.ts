/**
 * Root pino logger: JSON to stdout, `correlation_id` from the async context on every line.
 * Components take `logger.child({component})`; nothing else writes to stdout.
 */
import pino, { type Logger } from 'pino';
import { getCorrelationId } from './correlation.js';

export function createLogger(opts: { level?: string; service: string; destination?: pino.DestinationStream }): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: opts.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const correlation_id = getCorrelationId();
        return correlation_id ? { correlation_id } : {};
      },
    },
    opts.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

export type { Logger };
