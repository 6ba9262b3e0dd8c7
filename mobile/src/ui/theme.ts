import { useColorScheme } from "react-native";

/**
 * Two palettes checked for WCAG AA: every text colour is at least 4.5:1 on the background and
 * on the card it sits on (gain/loss colours included), so no figure depends on colour alone
 * for legibility; gains and losses also carry a sign and a word (see `Pnl`).
 */
export type Palette = {
  background: string;
  card: string;
  border: string;
  text: string;
  muted: string;
  primary: string;
  onPrimary: string;
  gain: string;
  loss: string;
  warning: string;
  danger: string;
  onDanger: string;
};

export const light: Palette = {
  background: "#f4f6f8",
  card: "#ffffff",
  border: "#737d89",
  text: "#111820",
  muted: "#4a5562",
  primary: "#0b5cad",
  onPrimary: "#ffffff",
  gain: "#0a6b36",
  loss: "#b3261e",
  warning: "#7a4a00",
  danger: "#b3261e",
  onDanger: "#ffffff",
};

export const dark: Palette = {
  background: "#0d1117",
  card: "#161b22",
  border: "#6e7681",
  text: "#f0f3f6",
  muted: "#aab4be",
  primary: "#58a6ff",
  onPrimary: "#0d1117",
  gain: "#3fd47a",
  loss: "#ff7b72",
  warning: "#e3b341",
  danger: "#ff7b72",
  onDanger: "#0d1117",
};

export const MIN_TOUCH = 44;
export const BODY_SIZE = 16;

export function usePalette(): Palette {
  return useColorScheme() === "dark" ? dark : light;
}
