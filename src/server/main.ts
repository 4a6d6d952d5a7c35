/** API process: one HTTP server for tRPC, plain routes and the SPA (docs/contracts.md). */
import { loadConfigOrExit } from '../shared/node/config.js';
import { createLogger } from '../shared/node/logger.js';
import { createApiServer } from './api-server.js';

const config = loadConfigOrExit();
const logger = createLogger({ level: config.LOG_LEVEL, service: 'api' });
const api = createApiServer(config, logger);

api.server.on('error', (err) => {
  logger.fatal({ err }, `cannot listen on ${config.HOST}:${config.PORT}`);
  process.exit(1);
});
if (!(await api.ready(5000))) logger.warn({ redis: config.REDIS_URL }, 'Redis does not answer yet; serving anyway (503 until it does)');
api.server.listen(config.PORT, config.HOST, () => {
  const address = api.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info(
    { url: `http://${config.HOST}:${port}`, mode: config.ISENGARD_MODE, training: config.TRAINING_BACKEND, image: config.IMAGE_BACKEND },
    'Isengard API listening',
  );
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping: finishing in-flight requests');
  const hardStop = setTimeout(() => process.exit(1), 10_000);
  hardStop.unref();
  await api.close(8000).catch((err: unknown) => logger.error({ err }, 'error while stopping'));
  logger.info('API stopped');
  logger.flush();
  setTimeout(() => process.exit(0), 50);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
