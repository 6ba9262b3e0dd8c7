import type { ReactNode } from "react";
import type { Loaded } from "../hooks";
import { describe } from "../api/problem";

interface Props<T> {
  result: Loaded<T> & { reload: () => void };
  what: string;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}

/** Loading, error (with the API's detail and a retry), empty, or the data. */
export function DataView<T>({ result, what, isEmpty, empty, children }: Props<T>) {
  if (result.state === "error" && result.data === undefined) {
    return (
      <div className="notice notice-error" role="alert">
        <p>
          Could not load {what}: {describe(result.problem)}
        </p>
        <button type="button" onClick={result.reload}>
          Try again
        </button>
      </div>
    );
  }
  if (result.data === undefined) {
    return (
      <p className="loading" role="status">
        Loading {what}…
      </p>
    );
  }
  const data = result.data;
  return (
    <>
      {result.state === "error" && (
        <p className="notice notice-error" role="alert">
          Could not refresh {what}: {describe(result.problem)}
        </p>
      )}
      {isEmpty?.(data) ? <p className="empty">{empty ?? `No ${what}.`}</p> : children(data)}
    </>
  );
}
