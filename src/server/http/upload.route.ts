/** POST /api/characters/:id/images: a multipart body handed to CharacterImagesService as files. */
import { AppError } from '../../shared/errors.js';
import { CHARACTER_ID_PATTERN } from '../../shared/characters.js';
import type { CharacterImagesService } from '../services/character-images.service.js';
import { multipartFiles } from './multipart.js';
import { sendJson } from './respond.js';
import type { RouteRequest } from './route-table.js';

export function uploadRoute(images: CharacterImagesService, beforeUpload: (r: RouteRequest) => Promise<void>) {
  return async (r: RouteRequest): Promise<void> => {
    await beforeUpload(r);
    const id = r.params.id!;
    if (!CHARACTER_ID_PATTERN.test(id)) throw AppError.badParam('id', "Parameter 'id' is not a valid id");
    sendJson(r.res, 200, await images.addImages(id, multipartFiles(r.req)));
  };
}
