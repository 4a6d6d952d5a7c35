/**
 * Drag-and-drop (or pick) many images at once. The server judges each file by its content and
 * answers per file; rejected ones are listed with the reason it gave.
 */
import { useRef, useState, type DragEvent } from 'react';
import { uploadImages, type UploadResult } from '../lib/api.js';
import { ErrorBox } from './ui.js';

interface FileResult {
  filename: string;
  ok: boolean;
  reason?: string;
}

/** The server names every file it stored or refused, so duplicates of a name are told apart. */
function perFile(result: UploadResult): FileResult[] {
  return [
    ...result.uploaded.map((u) => ({ filename: u.filename, ok: true })),
    ...result.rejected.map((r) => ({ filename: r.filename, ok: false, reason: r.reason })),
  ];
}

export function ImageUploader({ characterId, onUploaded }: { characterId: string; onUploaded: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const [results, setResults] = useState<FileResult[]>([]);
  const [error, setError] = useState<unknown>(null);

  const send = async (files: readonly File[]) => {
    if (files.length === 0) return;
    setBusy(true);
    setError(null);
    setResults([]);
    try {
      const result = await uploadImages(characterId, files);
      setResults(perFile(result));
      if (result.uploaded.length > 0) onUploaded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  };

  const drop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void send([...e.dataTransfer.files]);
  };

  return (
    <div className="uploader">
      <div
        className={`dropzone${over ? ' over' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={drop}
      >
        <p>{busy ? 'Uploading…' : 'Drop photos here (JPEG, PNG or WebP, short side ≥ 256 px)'}</p>
        <label className="button secondary" htmlFor={`upload-${characterId}`}>
          Choose files
        </label>
        <input
          id={`upload-${characterId}`}
          ref={input}
          className="visually-hidden"
          type="file"
          multiple
          accept="image/jpeg,image/png,image/webp"
          aria-label="Upload images"
          onChange={(e) => void send([...(e.target.files ?? [])])}
          disabled={busy}
        />
      </div>
      <ErrorBox error={error} />
      {results.length > 0 && (
        <ul className="upload-results" aria-label="Upload results">
          {results.map((r, i) => (
            <li key={`${r.filename}-${i}`} className={r.ok ? 'ok' : 'rejected'}>
              <span className="mono">{r.filename}</span> {r.ok ? <span className="ok-text">uploaded</span> : <span className="field-error">rejected: {r.reason}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
