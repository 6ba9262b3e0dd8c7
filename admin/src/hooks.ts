import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, asProblem, type Problem } from "./api/problem";

export type Loaded<T> =
  | { state: "loading"; data?: T }
  | { state: "error"; problem: Problem; data?: T }
  | { state: "ready"; data: T };

/** Loads `load()` now, again when `deps` change, and every `refreshMs` when given. */
export function useLoad<T>(
  load: () => Promise<T>,
  deps: readonly unknown[],
  refreshMs?: number,
): Loaded<T> & { reload: () => void } {
  const [result, setResult] = useState<Loaded<T>>({ state: "loading" });
  const [tick, setTick] = useState(0);
  const loader = useRef(load);
  loader.current = load;
  useEffect(() => {
    let live = true;
    // Keep what is shown while it is fetched again: a refresh must not blank the page.
    setResult((previous) =>
      previous.data === undefined ? { state: "loading" } : { state: "loading", data: previous.data },
    );
    loader.current().then(
      (data) => live && setResult({ state: "ready", data }),
      (error: unknown) =>
        live &&
        setResult({
          state: "error",
          problem: error instanceof ApiError ? error.problem : asProblem(error),
        }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  useEffect(() => {
    if (!refreshMs) return;
    const timer = setInterval(() => setTick((t) => t + 1), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...result, reload };
}
