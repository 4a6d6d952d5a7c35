/** `isengard loras list`. */
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

export const loraCommands = [list];
