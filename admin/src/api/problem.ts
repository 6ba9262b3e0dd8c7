/** RFC 9457 problem documents, as every refusal of the API is answered. */
export interface Problem {
  status: number;
  title: string;
  detail: string;
  code: string;
  challenge_id?: string;
  errors?: { message?: string; key?: string; source?: string }[] | null;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = "ApiError";
  }
  get code(): string {
    return this.problem.code;
  }
  get status(): number {
    return this.problem.status;
  }
}

/** Whatever came back as an error, as a problem with a detail a person can read. */
export function asProblem(error: unknown, response?: Response): Problem {
  const status = response?.status ?? 0;
  if (error && typeof error === "object" && "detail" in error) {
    const body = error as Partial<Problem>;
    return {
      status: body.status ?? status,
      title: body.title ?? "Refused",
      detail: String(body.detail),
      code: body.code ?? "unknown",
      ...(body.challenge_id ? { challenge_id: body.challenge_id } : {}),
      errors: body.errors ?? null,
    };
  }
  if (error instanceof ApiError) return error.problem;
  if (error instanceof Error) {
    return { status, title: "Network error", detail: error.message, code: "network_error" };
  }
  const text = typeof error === "string" && error ? error : `HTTP ${status}`;
  return { status, title: "Error", detail: text, code: "unknown" };
}

/** The readable explanation of a problem: its detail, and which fields were wrong when known. */
export function describe(problem: Problem): string {
  const fields = (problem.errors ?? [])
    .map((e) => [e.key, e.message].filter(Boolean).join(": "))
    .filter(Boolean);
  return fields.length ? `${problem.detail} (${fields.join("; ")})` : problem.detail;
}
