/**
 * Procedure inputs, built once from the active manifests. Config schemas come from
 * capabilitiesToZod; every other field uses the same sentence style (docs/contracts.md).
 */
import { z } from 'zod';
import { capabilitiesToZod } from '../shared/capabilities-to-zod.js';
import {
  CAPTION_MAX,
  CHARACTER_ID_PATTERN,
  DESCRIPTION_MAX,
  IMAGE_NAME_PATTERN,
  LORA_ID_PATTERN,
  NAME_MAX,
  TRIGGER_WORD_PATTERN,
  UPLOAD_LIMITS,
} from '../shared/characters.js';
import { JOB_ID_PATTERN, JOB_STATUSES, JOB_TYPES } from '../shared/jobs.js';
import { CURSOR_PATTERN } from '../shared/node/job-index.js';
import { idField, optionalParamField, paramField, textField } from '../shared/param-fields.js';
import type { ActiveManifests } from './active-manifests.js';
import { MAX_IMAGES_PER_JOB } from '../shared/limits.js';
import { variantDefaults } from '../shared/manifests.js';
import { MAX_SAMPLE_PROMPTS, SAMPLE_PROMPT_MAX_CHARS } from '../shared/sample-prompts.js';
import { EVALUATION_MAX_PROMPTS } from '../shared/evaluations.js';
import { EVALUATION_MAX_CHECKPOINTS, EVALUATION_MAX_STRENGTHS } from '../shared/evaluation-grid.js';

const request = <S extends z.ZodRawShape>(shape: S) => z.object(shape, { error: "Parameter 'input' must be a JSON object" });

const triggerWord = () =>
  textField('trigger_word', {
    min: 2,
    max: 32,
    pattern: TRIGGER_WORD_PATTERN,
    patternMessage: "Parameter 'trigger_word' must be 2-32 lowercase letters, digits or underscores, starting with a letter",
  });

/** 0–4 prompt strings; each checked like a text field, named by its index. */
const samplePrompts = () => {
  const prompt = textField('sample_prompts', { min: 1, max: SAMPLE_PROMPT_MAX_CHARS });
  return z.unknown().optional().transform((value, ctx) => {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: "Parameter 'sample_prompts' must be a list of strings" });
      return z.NEVER;
    }
    if (value.length > MAX_SAMPLE_PROMPTS) {
      ctx.addIssue({ code: 'custom', message: `Parameter 'sample_prompts' must have at most ${MAX_SAMPLE_PROMPTS} prompts` });
      return z.NEVER;
    }
    const out: string[] = [];
    for (const item of value) {
      const r = prompt.safeParse(item);
      if (!r.success) {
        ctx.addIssue({ code: 'custom', message: r.error.issues[0]?.message ?? "Parameter 'sample_prompts' is invalid" });
        return z.NEVER;
      }
      out.push(r.data);
    }
    return out;
  }) as unknown as z.ZodOptional<z.ZodType<string[], string[]>>;
};

/** A JSON list of `min`–`max` items, each checked by `item`; the first problem names the parameter. */
function listField<T>(key: string, item: z.ZodType<T>, opts: { min: number; max: number; what: string }) {
  return z.unknown().optional().transform((value, ctx) => {
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: `Parameter '${key}' must be a list of ${opts.what}` });
      return z.NEVER;
    }
    if (value.length < opts.min || value.length > opts.max) {
      ctx.addIssue({ code: 'custom', message: `Parameter '${key}' must have ${opts.min} to ${opts.max} ${opts.what}` });
      return z.NEVER;
    }
    const out: T[] = [];
    for (const v of value) {
      const r = item.safeParse(v);
      if (!r.success) {
        ctx.addIssue({ code: 'custom', message: r.error.issues[0]?.message ?? `Parameter '${key}' is invalid` });
        return z.NEVER;
      }
      out.push(r.data);
    }
    return out;
  }) as unknown as z.ZodOptional<z.ZodType<T[], T[]>>;
}

/** `'all'` or a list of checkpoint steps. */
const evaluationCheckpoints = () => {
  const steps = listField('checkpoints', paramField('checkpoints', { type: 'int', min: 0, max: 1_000_000, wired: true }), {
    min: 1,
    max: EVALUATION_MAX_CHECKPOINTS,
    what: 'checkpoint steps',
  });
  return z.unknown().optional().transform((value, ctx) => {
    if (value === undefined || value === null || value === 'all') return value === null ? undefined : value;
    if (typeof value === 'string') {
      ctx.addIssue({ code: 'custom', message: "Parameter 'checkpoints' must be 'all' or a list of checkpoint steps" });
      return z.NEVER;
    }
    const r = steps.safeParse(value);
    if (!r.success) {
      ctx.addIssue({ code: 'custom', message: r.error.issues[0]?.message ?? "Parameter 'checkpoints' is invalid" });
      return z.NEVER;
    }
    return r.data;
  }) as unknown as z.ZodOptional<z.ZodType<'all' | number[], 'all' | number[]>>;
};

/** `'all_machine'`, or a list of 1–200 image names of the character. */
const acceptImages = () => {
  const image = idField('images', IMAGE_NAME_PATTERN);
  return z.unknown().optional().transform((value, ctx) => {
    if (value === 'all_machine') return value;
    if (!Array.isArray(value) || value.length === 0 || value.length > UPLOAD_LIMITS.maxImagesPerCharacter) {
      ctx.addIssue({ code: 'custom', message: `Parameter 'images' must be 'all_machine' or a list of 1-${UPLOAD_LIMITS.maxImagesPerCharacter} image names` });
      return z.NEVER;
    }
    const out: string[] = [];
    for (const item of value) {
      const r = image.safeParse(item);
      if (!r.success) {
        ctx.addIssue({ code: 'custom', message: r.error.issues[0]?.message ?? "Parameter 'images' is invalid" });
        return z.NEVER;
      }
      out.push(r.data);
    }
    return [...new Set(out)];
  }) as unknown as z.ZodType<string[] | 'all_machine', string[] | 'all_machine'>;
};

const listFields = {
  status: optionalParamField('status', { type: 'enum', options: JOB_STATUSES, wired: true }),
  character_id: idField('character_id', CHARACTER_ID_PATTERN).optional(),
  limit: paramField('limit', { type: 'int', min: 1, max: 100, default: 20, wired: true }),
  cursor: z
    .unknown()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === null) return undefined;
      // A number is the offset cursor of earlier versions; strings are the keyset cursors.
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
      if (typeof value === 'string' && CURSOR_PATTERN.test(value)) return value;
      ctx.addIssue({ code: 'custom', message: "Parameter 'cursor' must be the nextCursor of a previous page" });
      return z.NEVER;
    }) as unknown as z.ZodOptional<z.ZodType<string | number, string | number>>,
};

export function buildInputs(manifests: ActiveManifests) {
  return {
    trainingStart: request({
      character_id: idField('character_id', CHARACTER_ID_PATTERN),
      config: capabilitiesToZod(manifests.training),
      sample_prompts: samplePrompts(),
      /** Issue #17: an evaluation job follows the training and adds a grid row per checkpoint. */
      evaluate_during_training: optionalParamField('evaluate_during_training', { type: 'bool', wired: true }),
    }),
    trainingContinue: request({
      id: idField('id', JOB_ID_PATTERN),
      steps: paramField('steps', { ...manifests.training.parameters.steps, default: undefined }),
    }),
    checkpointRef: request({
      job_id: idField('job_id', JOB_ID_PATTERN),
      step: paramField('step', { type: 'int', min: 0, max: 1_000_000, wired: true }),
    }),
    generationStart: request({
      config: capabilitiesToZod(manifests.image, { variantDefaults }),
      lora_id: idField('lora_id', LORA_ID_PATTERN).optional(),
      count: paramField('count', { type: 'int', min: 1, max: MAX_IMAGES_PER_JOB, default: 1, wired: true }),
    }),
    jobId: request({ id: idField('id', JOB_ID_PATTERN) }),
    watchJob: request({ jobId: idField('jobId', JOB_ID_PATTERN) }),
    /** `lastEventId` is set by the SSE link on a reconnect: the byte offset to resume the log from. */
    followLog: request({
      jobId: idField('jobId', JOB_ID_PATTERN),
      lastEventId: z.string().regex(/^\d{1,15}$/, { error: "Parameter 'lastEventId' must be a byte offset" }).nullish(),
    }),
    jobList: request({ ...listFields, type: optionalParamField('type', { type: 'enum', options: JOB_TYPES, wired: true }) }),
    typedJobList: request(listFields),
    jobPrune: request({
      older_than_days: paramField('older_than_days', { type: 'int', min: 0, max: 36500, wired: true }),
      type: optionalParamField('type', { type: 'enum', options: JOB_TYPES, wired: true }),
    }),
    characterId: request({ id: idField('id', CHARACTER_ID_PATTERN) }),
    characterCreate: request({
      name: textField('name', { min: 1, max: NAME_MAX }),
      trigger_word: triggerWord(),
      description: textField('description', { max: DESCRIPTION_MAX }).optional(),
    }),
    characterUpdate: request({
      id: idField('id', CHARACTER_ID_PATTERN),
      name: textField('name', { min: 1, max: NAME_MAX }).optional(),
      trigger_word: triggerWord().optional(),
      description: textField('description', { max: DESCRIPTION_MAX }).optional(),
    }),
    setCaption: request({
      id: idField('id', CHARACTER_ID_PATTERN),
      image: idField('image', IMAGE_NAME_PATTERN),
      caption: textField('caption', { max: CAPTION_MAX }),
    }),
    captionReplace: request({
      id: idField('id', CHARACTER_ID_PATTERN),
      find: textField('find', { min: 1, max: CAPTION_MAX, trim: false }),
      replace: textField('replace', { max: CAPTION_MAX, trim: false }),
      match_case: optionalParamField('match_case', { type: 'bool', wired: true }),
      whole_word: optionalParamField('whole_word', { type: 'bool', wired: true }),
    }),
    captionTrigger: request({
      id: idField('id', CHARACTER_ID_PATTERN),
      action: paramField('action', { type: 'enum', options: ['add', 'remove'], wired: true }),
    }),
    captionAccept: request({ id: idField('id', CHARACTER_ID_PATTERN), images: acceptImages() }),
    imageRef: request({ id: idField('id', CHARACTER_ID_PATTERN), image: idField('image', IMAGE_NAME_PATTERN) }),
    /** characters.caption: each field is a parameter of the active caption manifest (same checks and sentences). */
    characterCaption: request({
      id: idField('id', CHARACTER_ID_PATTERN),
      mode: paramField('mode', manifests.caption.parameters.mode),
      style: paramField('style', manifests.caption.parameters.style),
      trigger: paramField('trigger', manifests.caption.parameters.trigger),
    }),
    loraId: request({ id: idField('id', LORA_ID_PATTERN) }),
    evaluationStart: request({
      training_id: idField('training_id', JOB_ID_PATTERN),
      checkpoints: evaluationCheckpoints(),
      strengths: listField('strengths', paramField('strengths', { ...manifests.image.parameters.lora_strength, default: undefined, wired: true }), {
        min: 1,
        max: EVALUATION_MAX_STRENGTHS,
        what: 'strengths',
      }),
      prompts: listField('prompts', textField('prompts', { min: 1, max: SAMPLE_PROMPT_MAX_CHARS }), { min: 1, max: EVALUATION_MAX_PROMPTS, what: 'prompts' }),
      seed: optionalParamField('seed', { type: 'int', min: 0, max: Number.MAX_SAFE_INTEGER - EVALUATION_MAX_PROMPTS, wired: true }),
      // Every cell's size and steps: the image manifest's own ranges (a smaller, faster grid first).
      width: optionalParamField('width', manifests.image.parameters.width),
      height: optionalParamField('height', manifests.image.parameters.height),
      steps: optionalParamField('steps', manifests.image.parameters.steps),
    }),
    evaluationUse: request({
      id: idField('id', JOB_ID_PATTERN),
      step: paramField('step', { type: 'int', min: 0, max: 1_000_000, wired: true }),
      strength: paramField('strength', { ...manifests.image.parameters.lora_strength, default: undefined, wired: true }),
    }),
    evaluationList: request({ training_id: idField('training_id', JOB_ID_PATTERN) }),
    loraList: request({ character_id: idField('character_id', CHARACTER_ID_PATTERN).optional() }).optional(),
  };
}
export type Inputs = ReturnType<typeof buildInputs>;
