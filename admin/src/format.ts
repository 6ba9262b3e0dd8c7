export const percent = (value: number | null | undefined): string =>
  value === null || value === undefined || Number.isNaN(value) ? "–" : `${(value * 100).toFixed(1)} %`;

export const ms = (value: number | null | undefined): string =>
  value === null || value === undefined ? "–" : `${value.toFixed(value < 10 ? 1 : 0)} ms`;

export const when = (iso: string | null | undefined): string => {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString("en-GB", { timeZone: "UTC" }) + " UTC";
};

/** A decimal string from the API for display: rounded half-up to `places` when given, grouped
 * by thousands, trailing zeros dropped. Done on the digits, never through a float, so money
 * shows exactly what the API sent. */
export const amount = (value: string | null | undefined, places?: number): string => {
  if (value === null || value === undefined || value === "") return "–";
  const match = /^(-?)(\d+)(?:\.(\d*))?$/.exec(value.trim());
  if (!match) return value;
  const [, sign, integer = "0", decimals = ""] = match;
  let whole = integer;
  let fraction = decimals;
  if (places !== undefined && fraction.length > places) {
    const up = Number(fraction[places]) >= 5;
    let digits = (whole + fraction.slice(0, places)).split("").map(Number);
    for (let i = digits.length - 1; up && i >= 0; i--) {
      if (digits[i] === 9) digits[i] = 0;
      else {
        digits[i] = (digits[i] ?? 0) + 1;
        break;
      }
      if (i === 0) digits = [1, ...digits];
    }
    const joined = digits.join("");
    whole = joined.slice(0, joined.length - places) || "0";
    fraction = joined.slice(joined.length - places);
  }
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const kept = fraction.replace(/0+$/, "");
  const shown = `${grouped}${kept ? `.${kept}` : ""}`;
  return `${/^[0,.]*$/.test(shown) ? "" : sign}${shown}`;
};
