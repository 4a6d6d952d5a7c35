/** `text` as a literal inside a RegExp source (also `/`, so it may sit in a `u`-flag pattern or a literal). */
export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
