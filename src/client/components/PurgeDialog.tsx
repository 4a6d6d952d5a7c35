/**
 * Purge a person: lists what will go (counts and bytes, from characters.purgePreview) and asks
 * before starting the purge job, which cancels their running jobs first.
 */
import { useEffect, useRef } from 'react';
import type { Character } from '../../shared/characters.js';
import { purgePreviewLines } from '../../shared/purge-preview.js';
import { useRouter } from '../lib/router.js';
import { trpc } from '../lib/trpc.js';
import { ErrorBox, Loading } from './ui.js';

export function PurgeDialog({ character, onClose }: { character: Character; onClose: () => void }) {
  const { navigate } = useRouter();
  const utils = trpc.useUtils();
  const preview = trpc.characters.purgePreview.useQuery({ id: character.id }, { retry: false, staleTime: 0 });
  const purge = trpc.characters.purge.useMutation({
    onSuccess: (job) => {
      void utils.characters.invalidate();
      navigate(`/jobs/${job.id}`);
    },
  });
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    cancel.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div className="lightbox" role="dialog" aria-modal="true" aria-labelledby="purge-title">
      <div className="card purge-dialog">
        <h2 id="purge-title">Purge {character.name}?</h2>
        <p>Everything made from these photos is deleted for good. This cannot be undone.</p>
        {preview.data ? (
          <ul aria-label="What will be purged">
            {purgePreviewLines(preview.data).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        ) : preview.error ? (
          <ErrorBox error={preview.error} />
        ) : (
          <Loading what="what will be purged" />
        )}
        <ErrorBox error={purge.error} />
        <div className="actions">
          <button type="button" className="danger" disabled={!preview.data || purge.isPending} onClick={() => purge.mutate({ id: character.id })}>
            {purge.isPending ? 'Purging…' : 'Purge everything'}
          </button>
          <button ref={cancel} type="button" className="secondary" onClick={onClose}>
            Keep
          </button>
        </div>
      </div>
    </div>
  );
}
