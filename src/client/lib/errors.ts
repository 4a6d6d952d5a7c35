/**
 * Server errors as the UI shows them: `data.issues` [{param, message}] next to the control they
 * name, everything else as one sentence. Works for tRPC errors and plain-route HttpErrors.
 */
import type { ParamIssue } from '../../shared/errors.js';

export function issuesOf(error: unknown): ParamIssue[] {
  const data = (error as { data?: { issues?: unknown } } | null)?.data;
  if (!data || !Array.isArray(data.issues)) return [];
  return data.issues.filter(
    (i): i is ParamIssue => typeof i === 'object' && i !== null && typeof i.param === 'string' && typeof i.message === 'string',
  );
}

/** param → message (first message wins, as the server reports the first failure per key). */
export function issueMap(error: unknown): Record<string, string> {
  const map: Record<string, string> = {};
  for (const issue of issuesOf(error)) map[issue.param] ??= issue.message;
  return map;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) {
    // A fetch that never reached the server says "Failed to fetch": say what that means.
    if (/failed to fetch|networkerror|load failed/i.test(error.message)) return 'Cannot reach the Isengard server';
    return error.message;
  }
  return 'Something went wrong';
}

/** Issues no control on the form claims: shown in the form-level error box. */
export function unclaimedIssues(error: unknown, claimed: Iterable<string>): ParamIssue[] {
  const names = new Set(claimed);
  return issuesOf(error).filter((i) => !names.has(i.param));
}
