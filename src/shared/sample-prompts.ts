/** Training sample prompts: limits, defaults and the trigger-word rule, shared by API, worker and SPA. */
import { hasTriggerWord } from './trigger-word.js';

export const MAX_SAMPLE_PROMPTS = 4;
export const SAMPLE_PROMPT_MAX_CHARS = 500;
/** Samples use a fixed seed (prompt i: seed + i), so steps and resumed runs compare like for like. */
export const SAMPLE_SEED = 42;

export function defaultSamplePrompts(trigger: string): string[] {
  return [
    `photo of ${trigger}, portrait, looking at the camera, soft natural light`,
    `${trigger} walking down a city street, full body, candid photo`,
  ];
}

/** The prompt as given when it already names the trigger word (trigger-word.ts), else `trigger, prompt`. */
export function withTriggerWord(prompt: string, trigger: string): string {
  const text = prompt.trim();
  return hasTriggerWord(text, trigger) ? text : `${trigger}, ${text}`;
}
