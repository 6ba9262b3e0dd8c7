/**
 * Draws the QR code the API sends as SVG markup. The markup is not inserted as HTML: only the
 * path's geometry and the view box are read from it and drawn by React, so nothing in it can
 * run or load anything.
 */
export function QrCode({ svg, label }: { svg: string; label: string }) {
  const parsed = new DOMParser().parseFromString(svg, "image/svg+xml");
  const root = parsed.documentElement;
  const viewBox = root.getAttribute("viewBox") ?? "";
  const paths = Array.from(parsed.getElementsByTagName("path"))
    .map((path) => path.getAttribute("d") ?? "")
    .filter((d) => /^[MHVZmhvzl0-9.,\s-]+$/.test(d));
  if (!/^[0-9. ]+$/.test(viewBox) || paths.length === 0) return null;
  return (
    <svg className="qr" viewBox={viewBox} role="img" aria-label={label}>
      <rect x="0" y="0" width="100%" height="100%" fill="#fff" />
      {paths.map((d, index) => (
        <path key={index} d={d} fill="#000" />
      ))}
    </svg>
  );
}
