/**
 * Pages load as their own chunks (route-level code splitting): the first paint needs only the
 * shell. The chunk of the page the browser opened on is requested at start-up, alongside
 * whatever the shell fetches first, instead of after the first render.
 */
import { lazy } from 'react';

const loaders = {
  characters: () => import('../pages/CharactersPage.js').then((m) => ({ default: m.CharactersPage })),
  training: () => import('../pages/TrainingPage.js').then((m) => ({ default: m.TrainingPage })),
  trainingJob: () => import('../pages/TrainingJobPage.js').then((m) => ({ default: m.TrainingJobPage })),
  generate: () => import('../pages/GeneratePage.js').then((m) => ({ default: m.GeneratePage })),
  jobs: () => import('../pages/JobsPage.js').then((m) => ({ default: m.JobsPage })),
  evaluations: () => import('../pages/EvaluationPage.js').then((m) => ({ default: m.EvaluationPage })),
};

export const CharactersPage = lazy(loaders.characters);
export const TrainingPage = lazy(loaders.training);
export const TrainingJobPage = lazy(loaders.trainingJob);
export const GeneratePage = lazy(loaders.generate);
export const JobsPage = lazy(loaders.jobs);
export const EvaluationPage = lazy(loaders.evaluations);

/** Starts fetching the chunk for `path` (the module cache makes the later lazy() load free). */
export function preloadPage(path: string): void {
  const [, first = '', more] = path.split('/');
  // Loaders are keyed by a route's first segment; /training/:id is the one with a second page.
  const key = first === 'training' && more ? 'trainingJob' : first;
  const loader = Object.hasOwn(loaders, key) ? loaders[key as keyof typeof loaders] : loaders.characters;
  void loader().catch(() => undefined); // a failed chunk shows up where the page renders
}
