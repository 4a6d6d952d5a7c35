/**
 * Pod set-up commands run by start.sh before anything is built: `models` (fetch ComfyUI's model
 * files) and `doctor` (print the readiness list). Both read the same environment as the studio.
 */
import { ConfigError, parseConfig } from '../shared/node/config.js';
import { ModelsManifestError } from '../shared/node/models-manifest.js';
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
  process.stderr.write('usage: pod-setup models|doctor\n');
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
