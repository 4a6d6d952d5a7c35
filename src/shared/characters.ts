/** Character and LoRA vocabulary (docs/contracts.md). */
export const CHARACTER_ID_PATTERN = /^char-[0-9a-f]{12}$/;
export const LORA_ID_PATTERN = /^lora-[0-9a-f]{12}$/;
export const TRIGGER_WORD_PATTERN = /^[a-z][a-z0-9_]{1,31}$/;
export const IMAGE_NAME_PATTERN = /^img-[0-9a-f]{12}\.(jpg|png|webp)$/;
export const NAME_MAX = 100;
export const DESCRIPTION_MAX = 2000;
export const CAPTION_MAX = 2000;

/**
 * Where a caption came from (issue #18). A user-typed or user-edited caption is never overwritten by
 * a `missing` caption job; a machine caption records the model and its version until the user
 * accepts or edits it (accepting keeps kind 'model' with `accepted: true`).
 */
export type CaptionSource =
  | { kind: 'user' }
  | { kind: 'model'; model: string; version: string; accepted?: boolean };

export interface CharacterImage {
  name: string;
  width: number;
  height: number;
  caption: string;
  /** Absent on records written before captioning existed: treated as 'user' when caption is non-empty. */
  caption_source?: CaptionSource;
}

export interface Character {
  id: string;
  name: string;
  trigger_word: string;
  description?: string;
  created_at: string;
  updated_at?: string;
  images: CharacterImage[];
  /**
   * What Generate prefills for this character: set by "Use this" on an evaluation grid cell (issue #17),
   * a LoRA (registered from the chosen checkpoint) and the strength to apply it at.
   */
  generation_defaults?: { lora_id: string; strength: number };
}

export interface Lora {
  id: string;
  character_id: string;
  job_id: string;
  trigger_word: string;
  steps: number;
  lora_rank: number;
  created_at: string;
  /** File size in bytes. */
  size?: number;
  character_name?: string;
  /** A continued training's LoRA: the LoRA it started from. */
  parent_lora_id?: string;
  /** A LoRA made from a checkpoint: which job and step. */
  from_checkpoint?: { job_id: string; step: number };
}

/** Upload limits plus a pixel cap against decompression bombs. */
export const UPLOAD_LIMITS = {
  maxBytes: 25 * 1024 * 1024,
  minShortSide: 256,
  maxPixels: 50_000_000,
  maxFiles: 100,
  /** Stored images per character: every training copies them all. */
  maxImagesPerCharacter: 200,
  /**
   * File bytes per pixel, past a fixed allowance for metadata: even 16-bit RGBA noise stays under
   * 9; more is padding (a small image carrying megabytes of filler).
   */
  maxBytesPerPixel: 10,
  metadataAllowanceBytes: 1024 * 1024,
  formats: ['jpeg', 'png', 'webp'] as const,
};
