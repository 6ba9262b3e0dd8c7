import { useState } from "react";
import { View } from "react-native";
import { LineChart } from "react-native-gifted-charts/dist/LineChart";
import { price } from "../lib/format";
import { Text } from "./Text";
import { usePalette } from "./theme";

export type ChartPoint = { at: string; price: string };
const SPARSE_BELOW = 24;
export type ChartLines = { entry?: string | null; stop?: string | null; target?: string | null };

/**
 * The price over the chosen range with the entry, stop and first target as dashed lines. A
 * screen reader hears a summary (first, last, low, high and the lines), not 300 points.
 */
export function PriceChart({ points, lines, label }: { points: ChartPoint[]; lines: ChartLines; label: string }) {
  const palette = usePalette();
  const [width, setWidth] = useState(0);
  const values = points.map((p) => Number(p.price));
  const levels = [lines.entry, lines.stop, lines.target].filter((v): v is string => !!v).map(Number);
  const low = Math.min(...values, ...levels);
  const high = Math.max(...values, ...levels);
  const pad = (high - low) * 0.05 || Math.max(Math.abs(high) * 0.01, 1);
  const offset = low - pad;
  // The plot's width is what the card gives it, less the price labels on its left.
  const chartWidth = Math.max(120, width - 72 - 24);
  // A position opened a minute ago has one or two closed bars: a line needs two points and is
  // hard to see over a few, so a sparse chart shows its points (a single one mid-plot, not on
  // the axis) rather than looking empty.
  const sparse = values.length < SPARSE_BELOW;
  const line = (value: string | null | undefined, color: string) =>
    value ? { position: Number(value) - offset, config: { color, dashWidth: 6, dashGap: 4, thickness: 2 } } : null;
  const entry = line(lines.entry, palette.primary);
  const stop = line(lines.stop, palette.loss);
  const target = line(lines.target, palette.gain);
  const summary =
    values.length > 0
      ? `${label}: from ${price(points[0]!.price)} to ${price(points[points.length - 1]!.price)}, low ${price(String(Math.min(...values)))}, high ${price(String(Math.max(...values)))}` +
        (lines.entry ? `, entry ${price(lines.entry)}` : "") +
        (lines.stop ? `, stop ${price(lines.stop)}` : "") +
        (lines.target ? `, target ${price(lines.target)}` : "")
      : `${label}: no prices in this range`;
  if (values.length === 0) return <Text variant="muted">No prices in this range yet.</Text>;
  return (
    <View
      accessible
      accessibilityRole="image"
      accessibilityLabel={summary}
      testID="price-chart"
      onLayout={(event) => setWidth(event.nativeEvent.layout.width)}
      style={{ overflow: "hidden" }}
    >
      <LineChart
        data={values.map((value) => ({ value: value - offset }))}
        width={chartWidth}
        height={220}
        adjustToWidth
        initialSpacing={values.length === 1 ? chartWidth / 2 : 0}
        hideDataPoints={!sparse}
        dataPointsColor={palette.text}
        dataPointsRadius={4}
        thickness={2}
        color={palette.text}
        yAxisOffset={0}
        maxValue={high + pad - offset}
        noOfSections={4}
        formatYLabel={(label: string) => price(String(Number(label) + offset))}
        yAxisTextStyle={{ color: palette.muted, fontSize: 11 }}
        yAxisLabelWidth={72}
        rulesColor={palette.border}
        xAxisColor={palette.border}
        yAxisColor={palette.border}
        isAnimated={false}
        showReferenceLine1={!!entry}
        referenceLine1Position={entry?.position}
        referenceLine1Config={entry?.config}
        showReferenceLine2={!!stop}
        referenceLine2Position={stop?.position}
        referenceLine2Config={stop?.config}
        showReferenceLine3={!!target}
        referenceLine3Position={target?.position}
        referenceLine3Config={target?.config}
      />
      <Text variant="muted">
        {lines.entry ? `— Entry ${price(lines.entry)}  ` : ""}
        {lines.stop ? `— Stop ${price(lines.stop)}  ` : ""}
        {lines.target ? `— Target ${price(lines.target)}` : ""}
      </Text>
    </View>
  );
}
