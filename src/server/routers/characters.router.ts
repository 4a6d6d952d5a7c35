import type { Inputs } from '../inputs.js';
import { publicProcedure, router } from '../trpc.js';

export const charactersRouter = (inputs: Inputs) =>
  router({
    list: publicProcedure.query(({ ctx }) => ctx.services.characters.list()),
    get: publicProcedure.input(inputs.characterId).query(({ ctx, input }) => ctx.services.characters.get(input.id)),
    create: publicProcedure.input(inputs.characterCreate).mutation(({ ctx, input }) => ctx.services.characters.create(input)),
    update: publicProcedure.input(inputs.characterUpdate).mutation(({ ctx, input }) => ctx.services.characters.update(input)),
    purge: publicProcedure.input(inputs.characterId).mutation(({ ctx, input }) => ctx.services.characters.purge(input.id)),
    purgePreview: publicProcedure.input(inputs.characterId).query(({ ctx, input }) => ctx.services.characters.purgePreview(input.id)),
    delete: publicProcedure.input(inputs.characterId).mutation(({ ctx, input }) => ctx.services.characters.delete(input.id)),
    setCaption: publicProcedure.input(inputs.setCaption).mutation(({ ctx, input }) => ctx.services.characters.setCaption(input)),
    caption: publicProcedure.input(inputs.characterCaption).mutation(({ ctx, input }) => ctx.services.characters.caption(input)),
    deleteImage: publicProcedure.input(inputs.imageRef).mutation(({ ctx, input }) => ctx.services.characters.deleteImage(input)),
    /** Bulk caption tools (issue #18); editing one caption stays `setCaption`. */
    captions: router({
      replace: publicProcedure.input(inputs.captionReplace).mutation(({ ctx, input }) => ctx.services.captions.replace(input)),
      trigger: publicProcedure.input(inputs.captionTrigger).mutation(({ ctx, input }) => ctx.services.captions.trigger(input)),
      accept: publicProcedure.input(inputs.captionAccept).mutation(({ ctx, input }) => ctx.services.captions.accept(input)),
    }),
  });
