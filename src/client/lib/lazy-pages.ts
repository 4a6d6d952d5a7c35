/**
 * Pages load as their own chunks (route-level code splitting): the first paint needs only the
 * shell. The chunk of the page the browser opened on is requested at start-up, alongside
 * whatever the shell fetches first, instead of after the first render.
 *
 * A page whose chunk has arrived renders at once. A bare React.lazy would suspend on its first
 * render even then (its promise settles a microtask later), and React 19 then holds the page
 * back behind the Suspense fallback for up to 300 ms (its fallback throttle).
 */
import { createElement, lazy, type ComponentType } from 'react';
import { pageOfPath, type SpaPage } from '../../shared/spa-pages.js';

function lazyPage<P extends object>(load: () => Promise<ComponentType<P>>) {
  let loaded: ComponentType<P> | undefined;
  let pending: Promise<ComponentType<P>> | undefined;
  const preload = () =>
    (pending ??= load().then(
      (component) => (loaded = component),
      (err: unknown) => {
        pending = undefined; // a later navigation may try again
        throw err;
      },
    ));
  const Lazy = lazy(() => preload().then((component) => ({ default: component })));
  // `loaded` is set before Lazy's own promise settles, so Lazy never mounts content that this
  // would later swap out: a page keeps its state.
  const Page = (props: P) => createElement(loaded ?? Lazy, props);
  return { Page, preload };
}

const characters = lazyPage(() => import('../pages/CharactersPage.js').then((m) => m.CharactersPage));
const training = lazyPage(() => import('../pages/TrainingPage.js').then((m) => m.TrainingPage));
const trainingJob = lazyPage(() => import('../pages/TrainingJobPage.js').then((m) => m.TrainingJobPage));
const generate = lazyPage(() => import('../pages/GeneratePage.js').then((m) => m.GeneratePage));
const jobs = lazyPage(() => import('../pages/JobsPage.js').then((m) => m.JobsPage));
const evaluation = lazyPage(() => import('../pages/EvaluationPage.js').then((m) => m.EvaluationPage));
const preloads: Record<SpaPage, () => Promise<unknown>> = {
  CharactersPage: characters.preload,
  TrainingPage: training.preload,
  TrainingJobPage: trainingJob.preload,
  GeneratePage: generate.preload,
  JobsPage: jobs.preload,
  EvaluationPage: evaluation.preload,
};

export const CharactersPage = characters.Page;
export const TrainingPage = training.Page;
export const TrainingJobPage = trainingJob.Page;
export const GeneratePage = generate.Page;
export const JobsPage = jobs.Page;
export const EvaluationPage = evaluation.Page;

/**
 * Starts fetching the chunk for `path`; settles (never rejects) once it is in, after which that
 * page renders without Suspense.
 */
export function preloadPage(path: string): Promise<void> {
  return preloads[pageOfPath(path)]().then(
    () => undefined,
    () => undefined, // a failed chunk shows up where the page renders
  );
}
