/**
 * Compile-time contract of the typed client: each `@ts-expect-error` below is a call the
 * AppRouter types must reject. If one stops being an error, `tsc` fails here. Never executed.
 */
import type { IsengardClient } from './client.js';
import type { ConditionValue } from '../shared/capabilities.js';
import type { ImageConfig, TrainingConfig } from '../shared/capabilities-to-zod.js';
import type { aiToolkitTraining, comfyuiImage } from '../shared/manifests.js';

// Conditional parameters (`applies_when`) are optional in a stored config, the others present.
type StoredTraining = TrainingConfig<typeof aiToolkitTraining>;
type StoredImage = ImageConfig<typeof comfyuiImage>;
const learningRateOptional: object extends Pick<StoredTraining, 'learning_rate'> ? true : false = true;
const emaDecayOptional: object extends Pick<StoredTraining, 'ema_decay'> ? true : false = true;
const guidanceOptional: object extends Pick<StoredImage, 'guidance_scale'> ? true : false = true;
const stepsRequired: object extends Pick<StoredTraining, 'steps'> ? true : false = false;
void [learningRateOptional, emaDecayOptional, guidanceOptional, stepsRequired];

export async function typecheck(client: IsengardClient): Promise<void> {
  // Sound calls: inputs and outputs come from AppRouter.
  const job = await client.generation.start.mutate({ config: { prompt: 'a castle', steps: 4, use_upscale: true }, count: 2 });
  const status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' = job.status;
  await client.training.start.mutate({ character_id: 'char-000000000000', config: { steps: 100, lora_rank: 8, optimizer: 'prodigy' } });
  await client.jobs.get.query({ id: job.id });
  const info = await client.system.info.query();
  const name: 'Isengard API' = info.name;
  // The rule is data the client sees: which fields, which values, and why.
  const lrWhen: Readonly<Record<string, readonly ConditionValue[]>> | undefined = info.training.parameters.learning_rate?.applies_when;
  const lrWhy: string | undefined = info.training.parameters.learning_rate?.not_applicable_reason;
  const unavailable: Readonly<Record<string, string>> | undefined = info.training.parameters.precision?.unavailable_options;
  void status;
  void name;
  void [lrWhen, lrWhy, unavailable];

  // @ts-expect-error steps is an int parameter, not a string
  await client.training.start.mutate({ character_id: 'char-000000000000', config: { steps: 'many' } });
  // @ts-expect-error lora_rank is an enum of numbers: 7 is not one of them
  await client.training.start.mutate({ character_id: 'char-000000000000', config: { lora_rank: 7 } });
  // @ts-expect-error optimizer options are fixed strings
  await client.training.start.mutate({ character_id: 'char-000000000000', config: { optimizer: 'sgd' } });
  // @ts-expect-error character_id is required
  await client.training.start.mutate({ config: {} });
  // @ts-expect-error prompt is required in an image config
  await client.generation.start.mutate({ config: { steps: 4 } });
  // @ts-expect-error toggles are booleans
  await client.generation.start.mutate({ config: { prompt: 'x', use_upscale: 'yes' } });
  // @ts-expect-error model_variant is one of the manifest's variants
  await client.generation.start.mutate({ config: { prompt: 'x', model_variant: 'sdxl' } });
  // @ts-expect-error count is a number
  await client.generation.start.mutate({ config: { prompt: 'x' }, count: 'two' });
  // @ts-expect-error unknown procedure
  await client.generation.launch.mutate({ config: { prompt: 'x' } });
  // @ts-expect-error queries are not mutations
  await client.jobs.get.mutate({ id: job.id });
  // @ts-expect-error the subscription input is {jobId}, not {id}
  client.jobs.onUpdate.subscribe({ id: job.id }, {});
  // @ts-expect-error outputs are typed too: a job record has no `state`
  void job.state;
}
