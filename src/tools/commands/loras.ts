/** `isengard loras list | from-checkpoint`. */
import { intFlag } from '../args.js';
import { EXIT } from '../cli-errors.js';
import { table } from '../output.js';
import type { Command } from './command.js';

const list: Command = {
  path: 'loras list',
  synopsis: '',
  summary: 'List trained LoRAs',
  minArgs: 0,
  maxArgs: 0,
  async run({ client, out }) {
    const loras = await client.loras.list.query();
    out.result(loras, () =>
      loras.length === 0
        ? 'No LoRAs yet: isengard train <character_id>'
        : table(
            loras.map((l) => ({ id: l.id, character: l.character_name ?? l.character_id, trigger_word: l.trigger_word, steps: l.steps, rank: l.lora_rank, created: l.created_at })),
            ['id', 'character', 'trigger_word', 'steps', 'rank', 'created'],
          ),
    );
    return EXIT.ok;
  },
};

const fromCheckpoint: Command = {
  path: 'loras from-checkpoint',
  synopsis: '<job_id> <step>',
  summary: 'Make a LoRA of a training checkpoint, ready to generate with',
  minArgs: 2,
  maxArgs: 2,
  async run({ client, out, args }) {
    const [jobId, step] = args as [string, string];
    const lora = await client.loras.fromCheckpoint.mutate({ job_id: jobId, step: intFlag(step) as number });
    out.result(lora, () => [`${lora.id}  from ${jobId} step ${lora.steps}`, `  next: isengard generate "${lora.trigger_word} …" --lora ${lora.id}`]);
    return EXIT.ok;
  },
};

export const loraCommands = [list, fromCheckpoint];
