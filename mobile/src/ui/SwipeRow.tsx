import type { ReactNode } from "react";

/**
 * The web has no swipe: the card's own buttons do the same (and keep Reanimated and the gesture
 * handler, 0.9 MB, out of the web bundle). Phones use SwipeRow.native.tsx.
 */
export function SwipeRow({ children }: { left: ReactNode; right: ReactNode; children: ReactNode }) {
  return <>{children}</>;
}
