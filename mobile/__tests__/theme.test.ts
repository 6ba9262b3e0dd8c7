import { dark, light, type Palette } from "../src/ui/theme";

/** WCAG 2.x relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
};

describe.each([
  ["light", light],
  ["dark", dark],
] as [string, Palette][])("%s palette", (_name, palette) => {
  test.each(["text", "muted", "primary", "gain", "loss", "warning", "danger"] as const)("%s text is AA (4.5:1) on the background and on cards", (fg) => {
    expect(contrast(palette[fg], palette.background)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(palette[fg], palette.card)).toBeGreaterThanOrEqual(4.5);
  });
  test("labels on filled buttons are AA; borders of controls are 3:1", () => {
    expect(contrast(palette.onPrimary, palette.primary)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(palette.onDanger, palette.danger)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(palette.border, palette.background)).toBeGreaterThanOrEqual(3);
    expect(contrast(palette.border, palette.card)).toBeGreaterThanOrEqual(3);
  });
});
