/** `isengard doctor`: the server's readiness list (system.readiness); exit 1 when an item fails. */
import { formatReadiness } from '../../shared/readiness.js';
import type { Command } from './command.js';

export const doctorCommand: Command = {
  path: 'doctor',
  synopsis: '',
  summary: 'Check the pod: GPUs, ComfyUI and its model files, ai-toolkit, HF_TOKEN, FLUX_MODEL, volume, Redis',
  details: ['Prints ok / WARN / FAIL per item with a one-line fix. Exit code 1 when any item fails.'],
  minArgs: 0,
  maxArgs: 0,
  async run({ client, out }) {
    const readiness = await client.system.readiness.query();
    out.result(readiness, () => formatReadiness(readiness.items));
    return readiness.items.some((i) => i.status === 'fail') ? 1 : 0;
  },
};
