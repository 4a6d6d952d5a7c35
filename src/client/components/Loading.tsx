/**
 * The loading state. Its own module, not part of ui.tsx: the shell (App.tsx) needs only this, and
 * importing ui.tsx there would put it and its helpers in the entry script every page waits for.
 */
export function Loading({ what }: { what?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> Loading{what ? ` ${what}` : ''}…
    </p>
  );
}
