/** Request limits that are not backend parameters, shared by the server's inputs and the forms. */
export const MAX_IMAGES_PER_JOB = 4;
/** Procedures in one tRPC batch request; the server refuses longer batches (the links split at this size). */
export const MAX_BATCH_ITEMS = 20;
export const PROMPT_MAX = 2000;
export const SEED_MAX = Number.MAX_SAFE_INTEGER;
/** Dimensions must be multiples of this (FLUX latents are 16 px blocks). */
export const DIMENSION_MULTIPLE = 16;
