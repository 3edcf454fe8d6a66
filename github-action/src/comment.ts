/** The sticky PR comment: found again by its hidden marker and edited in place, never posted twice. */
export interface CommentApi {
  listComments(page: number): Promise<{ id: number; body?: string | null }[]>;
  createComment(body: string): Promise<{ id: number }>;
  updateComment(id: number, body: string): Promise<void>;
}

export type CommentOutcome =
  | { action: 'created' | 'updated'; id: number }
  | { action: 'forbidden'; message: string }
  | { action: 'failed'; message: string };

const PER_PAGE = 100;
const MAX_PAGES = 50;

function statusOf(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === 'number' ? s : undefined;
}

/**
 * Creates the comment or edits the one carrying `marker`. Never throws: a fork PR's read-only token (403) or
 * any API failure comes back as an outcome, for the caller to warn about — the check still reports.
 */
export async function upsertComment(api: CommentApi, marker: string, body: string): Promise<CommentOutcome> {
  try {
    let existing: number | undefined;
    for (let page = 1; page <= MAX_PAGES && existing === undefined; page++) {
      const comments = await api.listComments(page);
      existing = comments.find((c) => c.body?.includes(marker))?.id;
      if (comments.length < PER_PAGE) break;
    }
    if (existing !== undefined) {
      await api.updateComment(existing, body);
      return { action: 'updated', id: existing };
    }
    const { id } = await api.createComment(body);
    return { action: 'created', id };
  } catch (err) {
    const status = statusOf(err);
    const message = `${status !== undefined ? `HTTP ${status}: ` : ''}${(err as Error).message.split('\n')[0] ?? ''}`;
    if (status === 403) return { action: 'forbidden', message };
    return { action: 'failed', message };
  }
}

export { PER_PAGE as COMMENTS_PER_PAGE };
