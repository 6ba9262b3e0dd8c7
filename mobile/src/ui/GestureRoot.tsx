import type { ReactNode } from "react";
import { View } from "react-native";

/** The web needs no gesture root (see GestureRoot.native.tsx). */
export function GestureRoot({ children }: { children: ReactNode }) {
  return <View style={{ flex: 1 }}>{children}</View>;
}
