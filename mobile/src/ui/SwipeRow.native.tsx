import type { ReactNode } from "react";
import ReanimatedSwipeable from "react-native-gesture-handler/ReanimatedSwipeable";

/** Phones: swipe a card left for its right actions (Close), right for its left actions (alert). */
export function SwipeRow({ left, right, children }: { left: ReactNode; right: ReactNode; children: ReactNode }) {
  return (
    <ReanimatedSwipeable renderLeftActions={() => left} renderRightActions={() => right}>
      {children}
    </ReanimatedSwipeable>
  );
}
