/** What a failed call means to a screen: the server's RFC 9457 problem, or no answer at all. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly extra: Record<string, unknown>;

  constructor(status: number, code: string, detail: string, extra: Record<string, unknown> = {}) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.extra = extra;
  }

  /** No answer from the platform (offline, DNS, refused): the screen keeps its last data. */
  get offline(): boolean {
    return this.status === 0;
  }
}

export function offlineError(cause?: unknown): ApiError {
  const detail = "Can't reach NIJA. Check your connection.";
  const error = new ApiError(0, "offline", detail);
  if (cause !== undefined) (error as { cause?: unknown }).cause = cause;
  return error;
}

export function problemOf(status: number, body: unknown): ApiError {
  const problem = (body ?? {}) as Record<string, unknown>;
  const code = typeof problem.code === "string" ? problem.code : `http_${status}`;
  const detail =
    typeof problem.detail === "string"
      ? problem.detail
      : typeof problem.title === "string"
        ? problem.title
        : `The request failed (${status})`;
  return new ApiError(status, code, detail, problem);
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return "Something went wrong";
}

/**
 * openapi-fetch answers `{data, error, response}`; screens want a value or a thrown ApiError.
 * A 2xx without a body (204) gives `undefined`.
 */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (cause) {
    if (cause instanceof ApiError) throw cause;
    throw offlineError(cause);
  }
  if (!result.response.ok) throw problemOf(result.response.status, result.error);
  return result.data as T;
}
