/**
 * Which page module of the SPA renders a path. The SPA starts loading that page's chunk at once
 * (src/client/lib/lazy-pages.ts), and the server names the chunk in the index.html it serves for
 * the path (modulepreload), so the browser fetches it alongside the entry script.
 */
export const SPA_PAGES = ['CharactersPage', 'TrainingPage', 'TrainingJobPage', 'GeneratePage', 'JobsPage', 'EvaluationPage'] as const;
export type SpaPage = (typeof SPA_PAGES)[number];

export function pageOfPath(path: string): SpaPage {
  const parts = path.split('/').filter(Boolean);
  switch (parts[0]) {
    case 'training':
      return parts.length > 1 ? 'TrainingJobPage' : 'TrainingPage';
    case 'generate':
      return 'GeneratePage';
    case 'jobs':
      return 'JobsPage';
    case 'evaluations':
      return 'EvaluationPage';
    default:
      return 'CharactersPage';
  }
}
