/** `isengard info`: server identity and what the configured backends accept. */
import type { ParameterMap, ParameterSchema } from '../../shared/capabilities.js';
import { table } from '../output.js';
import type { Command } from './command.js';

/** What limits a wired parameter: the options it refuses and when it does not apply. */
function limits(p: ParameterSchema): string {
  const notes: string[] = [];
  const unavailable = Object.keys(p.unavailable_options ?? {});
  if (unavailable.length > 0) notes.push(`unavailable: ${unavailable.join('|')}`);
  for (const [field, values] of Object.entries(p.applies_when ?? {})) notes.push(`only when ${field} is ${values.map(String).join('|')}`);
  return notes.join('; ');
}

function parameterRows(parameters: ParameterMap) {
  return Object.entries(parameters).map(([name, p]) => ({
    name,
    type: p.type,
    range: p.options ? p.options.join('|') : p.min !== undefined || p.max !== undefined ? `${p.min ?? ''}..${p.max ?? ''}` : '',
    default: p.default === undefined ? '' : String(p.default),
    notes: p.wired ? limits(p) : `not supported: ${p.reason ?? ''}`,
  }));
}

export const infoCommand: Command = {
  path: 'info',
  synopsis: '',
  summary: 'Show the server, its backends and every parameter they accept',
  minArgs: 0,
  maxArgs: 0,
  async run({ client, out }) {
    const info = await client.system.info.query();
    const img = info.image_generation;
    out.result(info, () => [
      `${info.name} ${info.version} (${info.mode})`,
      '',
      `Training: ${info.training.method} on ${info.training.backend}`,
      ...table(parameterRows(info.training.parameters), ['name', 'type', 'range', 'default', 'notes']).map((l) => `  ${l}`),
      '',
      `Image generation: ${img.backend}, variants ${img.model_variants.join(', ')}`,
      ...table(parameterRows(img.parameters), ['name', 'type', 'range', 'default', 'notes']).map((l) => `  ${l}`),
      `  toggles: ${Object.entries(img.toggles)
        .map(([k, t]) => (t.supported ? k : `${k} (not supported: ${t.reason ?? ''})`))
        .join(', ')}`,
    ]);
    return 0;
  },
};
