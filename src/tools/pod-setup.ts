/**
 * Pod set-up commands run by start.sh before anything is built: `models` (fetch ComfyUI's model
 * files) and `doctor` (print the readiness list). Both read the same environment as the studio.
 */
import { ConfigError, parseConfig } from '../shared/node/config.js';
import { ModelsManifestError } from '../shared/node/models-manifest.js';
import { runReadinessChecks } from '../shared/node/readiness/index.js';
import { createRedis } from '../shared/node/redis.js';
import { formatReadiness } from '../shared/readiness.js';
import { fetchModels } from './models/fetch-models.js';

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  let config;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`isengard: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (command === 'models') {
    try {
      const summary = await fetchModels({
        comfyuiDir: config.COMFYUI_DIR,
        manifestPath: config.ISENGARD_MODELS_MANIFEST,
        hfToken: config.HF_TOKEN,
        write: (t) => process.stderr.write(t),
        tty: process.stderr.isTTY,
      });
      return summary.failed.length > 0 ? 1 : 0;
    } catch (err) {
      if (err instanceof ModelsManifestError) {
        process.stderr.write(`isengard: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  }
  if (command === 'doctor') {
    // One attempt, no reconnect loop: a Redis that does not answer is itself a finding.
    const redis = createRedis(config.REDIS_URL, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    redis.on('error', () => undefined);
    await redis.connect().catch(() => undefined);
    try {
      const { items } = await runReadinessChecks(config, { redis });
      process.stdout.write(`Isengard readiness (${config.ISENGARD_MODE}, training ${config.TRAINING_BACKEND}, images ${config.IMAGE_BACKEND}, captions ${config.CAPTION_BACKEND})\n`);
      process.stdout.write(formatReadiness(items).join('\n') + '\n');
      return items.some((i) => i.status === 'fail') ? 1 : 0;
    } finally {
      redis.disconnect();
    }
  }
  process.stderr.write('usage: pod-setup models|doctor\n');
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
