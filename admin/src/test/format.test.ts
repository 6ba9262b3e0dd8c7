import { describe, expect, it } from "vitest";
import { amount } from "../format";

describe("amount", () => {
  it("groups, trims and rounds decimal strings without a float", () => {
    expect(amount("1234567.8900")).toBe("1,234,567.89");
    expect(amount("0.00012345", 6)).toBe("0.000123");
    expect(amount("0.1234565", 6)).toBe("0.123457");
    expect(amount("9999.996", 2)).toBe("10,000");
    expect(amount("-0.0004", 3)).toBe("0");
    expect(amount("-12.5")).toBe("-12.5");
    expect(amount("12345678901234567890.123456789012")).toBe("12,345,678,901,234,567,890.123456789012");
    expect(amount(null)).toBe("–");
    expect(amount("n/a")).toBe("n/a");
  });
});
