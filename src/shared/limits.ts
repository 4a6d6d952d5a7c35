/** Request limits that are not backend parameters, shared by the server's inputs and the forms. */
export const MAX_IMAGES_PER_JOB = 4;
