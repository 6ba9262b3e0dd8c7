import Svg, { Circle, Path, Rect } from "react-native-svg";

export type IconName = "dashboard" | "positions" | "activity" | "settings";

/** Tab icons drawn with SVG (no icon font to load): decorative, the tab's label names it. */
export function Icon({ name, color, size = 24 }: { name: IconName; color: string; size?: number }) {
  const stroke = { stroke: color, strokeWidth: 2, fill: "none" } as const;
  return (
    <Svg width={size} height={size} viewBox="0 0 24 24" accessibilityElementsHidden importantForAccessibility="no-hide-descendants">
      {name === "dashboard" ? (
        <>
          <Rect x="3" y="3" width="8" height="10" rx="1" {...stroke} />
          <Rect x="13" y="3" width="8" height="6" rx="1" {...stroke} />
          <Rect x="13" y="11" width="8" height="10" rx="1" {...stroke} />
          <Rect x="3" y="15" width="8" height="6" rx="1" {...stroke} />
        </>
      ) : null}
      {name === "positions" ? <Path d="M3 17l5-6 4 4 8-9M15 6h5v5" {...stroke} /> : null}
      {name === "activity" ? <Path d="M4 6h16M4 12h16M4 18h10" {...stroke} /> : null}
      {name === "settings" ? (
        <>
          <Circle cx="12" cy="12" r="3" {...stroke} />
          <Path d="M12 2v3M12 19v3M2 12h3M19 12h3M4.9 4.9l2.1 2.1M17 17l2.1 2.1M4.9 19.1L7 17M17 7l2.1-2.1" {...stroke} />
        </>
      ) : null}
    </Svg>
  );
}
